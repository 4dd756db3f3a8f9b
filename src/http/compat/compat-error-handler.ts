import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { ERROR_CODES } from '../../core/error-codes.js';
import { toAppError } from '../error-handler.js';

/** Renders a (4xx or sanitised 5xx) AppError as a seed's error body. */
export type CompatErrorRenderer = (error: AppError) => { status: number; body: unknown };

/**
 * Gives one compat plugin its own error shape (`{"error":"…"}` for Tornado, `{success:false,…}` for
 * Importly). Fastify binds a route's error handler to the plugin that declares it, so this also
 * catches the parent's auth hook and body validation for the adapter's routes, and leaves the
 * native `{ error: { code, message } }` shape alone everywhere else. As in the native handler, a
 * 5xx never carries internals: it is logged and replaced by the catalogue's message.
 */
export function registerCompatErrorHandler(app: FastifyInstance, render: CompatErrorRenderer): void {
  app.setErrorHandler((raw: unknown, request: FastifyRequest, reply: FastifyReply) => {
    let error = toAppError(raw);
    if (error.status >= 500) {
      request.log.error({ err: error.cause ?? error, code: error.code }, 'request failed');
      error = new AppError(error.code, { message: ERROR_CODES[error.code].message });
    } else {
      request.log.info({ code: error.code, field: error.field }, 'request rejected');
    }
    const { status, body } = render(error);
    return reply.status(status).send(body);
  });
}
