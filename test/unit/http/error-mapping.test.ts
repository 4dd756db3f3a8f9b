// Pure logic: how framework and domain errors become API error bodies.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { errorBody, toAppError } from '../../../src/http/error-handler.js';

describe('error mapping', () => {
  it('names the field of a validation error', () => {
    const fastifyError = Object.assign(new Error('body/url must be string'), {
      validation: [
        {
          instancePath: '/format/kind',
          keyword: 'enum',
          params: {},
          message: 'must be equal to one of the allowed values',
        },
      ],
      validationContext: 'body',
      statusCode: 400,
    });
    const error = toAppError(fastifyError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.field).toBe('format.kind');
    expect(errorBody(error).error.field).toBe('format.kind');
  });

  it('names a missing and an unknown property', () => {
    const missing = toAppError(
      Object.assign(new Error('x'), {
        validation: [{ instancePath: '', keyword: 'required', params: { missingProperty: 'url' } }],
        validationContext: 'body',
      }),
    );
    expect(missing.field).toBe('url');
    const unknown = toAppError(
      Object.assign(new Error('x'), {
        validation: [
          { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'colour' } },
        ],
        validationContext: 'body',
      }),
    );
    expect(unknown.field).toBe('colour');
    expect(unknown.message).toContain('unknown field colour');
  });

  it('maps fastify content errors to stable codes', () => {
    expect(
      toAppError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }))
        .code,
    ).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(
      toAppError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code,
    ).toBe('BODY_TOO_LARGE');
    expect(toAppError(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })).code).toBe(
      'INVALID_JSON',
    );
  });

  it('hides internals of unknown errors behind INTERNAL', () => {
    const error = toAppError(new Error('connection string postgres://user:secret@db'));
    expect(error.code).toBe('INTERNAL');
    expect(error.status).toBe(500);
    expect(error.message).not.toContain('secret');
  });

  it('keeps domain errors as they are', () => {
    const original = new AppError('IMPORT_NOT_FOUND');
    expect(toAppError(original)).toBe(original);
    expect(errorBody(original)).toEqual({ error: { code: 'IMPORT_NOT_FOUND', message: 'No such import.' } });
  });
});
