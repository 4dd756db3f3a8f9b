import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export interface AppErrorOptions {
  /** Overrides the catalogue message, e.g. to name the failing host. Never put secrets here. */
  readonly message?: string;
  readonly hint?: string;
  /** The request field the error is about (validation errors). */
  readonly field?: string;
  readonly cause?: unknown;
  /** Extra machine-readable facts returned to the client (must be safe to show). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** For job errors: whether another attempt could succeed. Defaults to false for 4xx codes. */
  readonly retryable?: boolean;
}

/** A typed domain error: a stable `code` from the catalogue, an optional `cause`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  readonly field: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const spec: { status: number; message: string; hint?: string } = ERROR_CODES[code];
    super(
      options.message ?? spec.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'AppError';
    this.code = code;
    this.status = spec.status;
    this.hint = options.hint ?? spec.hint;
    this.field = options.field;
    this.details = options.details;
    this.retryable = options.retryable ?? spec.status >= 500;
  }
}

/**
 * A job attempt that must not be retried (bad input, unsupported URL, …). Thrown by job handlers;
 * the queue marks the job failed at once instead of backing off.
 */
export class PermanentJobError extends AppError {
  constructor(code: ErrorCode, options: Omit<AppErrorOptions, 'retryable'> = {}) {
    super(code, { ...options, retryable: false });
    this.name = 'PermanentJobError';
  }
}

/** Coerce anything caught into an Error, keeping the original as `cause`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : 'non-error thrown', { cause: value });
}

export function isAbortError(value: unknown): boolean {
  return (
    value instanceof Error &&
    (value.name === 'AbortError' || (value as { code?: unknown }).code === 'ABORT_ERR')
  );
}
