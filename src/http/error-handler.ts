import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toError } from '../core/errors.js';
import { ERROR_CODES, type ErrorCode } from '../core/error-codes.js';

export interface ErrorBody {
  error: { code: string; message: string; hint?: string; field?: string; details?: Record<string, unknown> };
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.details === undefined ? {} : { details: { ...error.details } }),
    },
  };
}

/** Maps Fastify's own errors (validation, parsing, size limits) onto catalogue codes. */
export function toAppError(raw: unknown): AppError {
  if (raw instanceof AppError) return raw;
  const error = toError(raw) as FastifyError;
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const params = first?.params ?? {};
    const base = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    const extra =
      typeof params['missingProperty'] === 'string'
        ? params['missingProperty']
        : typeof params['additionalProperty'] === 'string'
          ? params['additionalProperty']
          : undefined;
    const field = [error.validationContext === 'body' ? '' : `${error.validationContext ?? ''}`, base, extra]
      .filter((part) => part !== undefined && part !== '')
      .join('.');
    const what =
      first?.keyword === 'additionalProperties'
        ? `unknown field ${field}`
        : `${field || 'request'} ${first?.message ?? 'is invalid'}`;
    return new AppError('VALIDATION_FAILED', {
      message: what.slice(0, 300),
      field: field || 'body',
      cause: error,
    });
  }
  const byFastifyCode: Partial<Record<string, ErrorCode>> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
    FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
    FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  };
  const mapped = byFastifyCode[error.code];
  if (mapped !== undefined) return new AppError(mapped, { cause: error });
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return new AppError('INVALID_JSON', { cause: error });
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', { message: error.message.slice(0, 300), cause: error });
  }
  return new AppError('INTERNAL', { cause: error });
}

/** The one place errors become responses. 5xx bodies never carry internals. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const error = toAppError(raw);
    if (error.status >= 500) {
      request.log.error({ err: error.cause ?? error, code: error.code }, 'request failed');
      const spec = ERROR_CODES[error.code];
      const safe =
        error.code === 'INTERNAL'
          ? new AppError('INTERNAL')
          : new AppError(error.code, { message: spec.message });
      return reply.status(error.status).send(errorBody(safe));
    }
    request.log.info({ code: error.code, field: error.field }, 'request rejected');
    return reply.status(error.status).send(errorBody(error));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(errorBody(new AppError('ROUTE_NOT_FOUND'))),
  );
}
