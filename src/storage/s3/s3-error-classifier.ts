/**
 * Maps what the SDK and Node throw to the catalogue's storage codes (pure). Inputs seen in the field:
 * - service errors: `name`/`Code` (AccessDenied, NoSuchBucket, …) and `$metadata.httpStatusCode`;
 * - HEAD errors have no body, so the SDK names them after the status (`NotFound`) or `Unknown` (403);
 * - wrong region: 301 PermanentRedirect or 400 AuthorizationHeaderMalformed, with the real region in
 *   the `x-amz-bucket-region` header, the error's `Region` field, or the message;
 * - network errors: Node `code`s (ECONNREFUSED, ENOTFOUND, TLS codes) and the HTTP handler's
 *   `TimeoutError`s, sometimes wrapped in an AggregateError (happy eyeballs) or as `cause`.
 */
import { AppError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';

export type S3Operation =
  'put' | 'head' | 'get' | 'list' | 'delete' | 'copy' | 'abort' | 'headBucket' | 'presign';

export interface ClassifyContext {
  readonly operation?: S3Operation;
  readonly bucket?: string;
  /** The region the request was signed for, to tell a wrong region from a right one. */
  readonly region?: string;
  /** The request was cut by our own deadline (an AbortError then means a timeout). */
  readonly timedOut?: boolean;
  /** The deadline, for the message. */
  readonly timeoutMs?: number;
}

interface Inspectable {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  Region?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { headers?: Record<string, unknown> };
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'Forbidden',
  'InvalidObjectState',
]);
const WRONG_REGION = new Set([
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
  'IncorrectEndpoint',
  'Redirect',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'EHOSTDOWN',
]);
const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_CERT_|HOSTNAME_MISMATCH$)/u;
const INVALID_URL_CODES = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_UNESCAPED_CHARACTERS',
]);

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function header(error: Inspectable, name: string): string | undefined {
  const headers = error.$response?.headers;
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return str(value);
  return undefined;
}

/** The error and its causes / aggregated errors, outermost first (bounded). */
function chain(error: unknown): Inspectable[] {
  const out: Inspectable[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && out.length < 12) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object') continue;
    const e = next as Inspectable;
    out.push(e);
    if (Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]));
    if (e.cause !== undefined) queue.push(e.cause);
  }
  return out;
}

/** The region a wrong-region answer points to, if it says. */
export function regionFromError(error: unknown): string | undefined {
  for (const e of chain(error)) {
    const fromHeader = header(e, 'x-amz-bucket-region');
    if (fromHeader !== undefined) return fromHeader;
    const field = str(e.Region);
    if (field !== undefined) return field;
    const message = str(e.message);
    const expecting = message === undefined ? undefined : /expecting '([a-z0-9-]+)'/u.exec(message)?.[1];
    if (expecting !== undefined) return expecting;
  }
  return undefined;
}

function status(e: Inspectable): number | undefined {
  const s = e.$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Builds the AppError. The message stays the catalogue's (the seeds' clients match on strings such as
 * "Verification failed: NoSuchBucket" and "Verification failed: timeout"); what was learnt goes in
 * `details.reason` (and `retryable` for transient failures).
 */
function make(
  code: ErrorCode,
  cause: unknown,
  options: { reason?: string; details?: Record<string, unknown>; retryable?: boolean } = {},
): AppError {
  const details = { ...options.details, ...(options.reason === undefined ? {} : { reason: options.reason }) };
  return new AppError(code, {
    cause,
    ...(Object.keys(details).length === 0 ? {} : { details }),
    ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
  });
}

/** Turns anything an S3 call threw into an AppError with a catalogue code (AppErrors pass through). */
export function classifyS3Error(error: unknown, context: ClassifyContext = {}): AppError {
  const links = chain(error);
  for (const e of links) if (e instanceof AppError) return e;

  const top = links[0] ?? {};
  const name = str(top.name);
  const code = str(top.Code) ?? name;
  const httpStatus = status(top);
  const bucketDetails = context.bucket === undefined ? {} : { bucket: context.bucket };

  if (context.timedOut === true) {
    const within =
      context.timeoutMs === undefined ? '' : ` within ${Math.round(context.timeoutMs / 100) / 10} s`;
    return make('STORAGE_TIMEOUT', error, {
      reason: `the endpoint did not answer${within}`,
      retryable: true,
      ...(context.timeoutMs === undefined ? {} : { details: { timeoutMs: context.timeoutMs } }),
    });
  }

  // Service answers (they carry $metadata with a status).
  if (httpStatus !== undefined && httpStatus > 0) {
    if (
      code === 'AuthorizationHeaderMalformed' &&
      regionFromError(error) === undefined &&
      !/region/iu.test(str(top.message) ?? '')
    ) {
      // Not about the region: the access key id itself cannot be parsed into a credential scope.
      return make('INVALID_ACCESS_KEY_ID', error, { reason: 'the storage could not parse the credential' });
    }
    if (code !== undefined && WRONG_REGION.has(code)) return wrongRegion(error);
    if (httpStatus === 301 || httpStatus === 307) return wrongRegion(error);
    const bucketRegion = header(top, 'x-amz-bucket-region');
    if (
      httpStatus === 400 &&
      bucketRegion !== undefined &&
      context.region !== undefined &&
      bucketRegion !== context.region
    ) {
      return wrongRegion(error);
    }
    switch (code) {
      case 'InvalidAccessKeyId':
        return make('INVALID_ACCESS_KEY_ID', error);
      case 'SignatureDoesNotMatch':
        return make('SIGNATURE_DOES_NOT_MATCH', error);
      case 'RequestTimeTooSkewed':
        return make('SIGNATURE_DOES_NOT_MATCH', error, {
          reason: 'this server’s clock is far from the storage’s',
        });
      case 'NoSuchBucket':
        return make('NO_SUCH_BUCKET', error, { details: bucketDetails });
      case 'InvalidStorageClass':
        return make('INVALID_STORAGE_CLASS', error);
      case 'AccessControlListNotSupported':
        return make('INVALID_ACL', error, {
          reason: 'the bucket has ACLs disabled; use acl: bucket-default',
        });
      case 'PreconditionFailed':
      case 'ConditionalRequestConflict':
        return make('OBJECT_EXISTS', error);
      case 'EntityTooLarge':
        return make('FILE_TOO_LARGE', error, { reason: 'the storage refused the object as too large' });
      case 'SlowDown':
      case 'ServiceUnavailable':
      case 'InternalError':
        return make('STORAGE_ERROR', error, { reason: `the storage answered ${code}`, retryable: true });
      case 'RequestTimeout':
        return make('STORAGE_TIMEOUT', error, {
          reason: 'the storage received no data in time',
          retryable: true,
        });
      case undefined:
      default:
        break;
    }
    if (code !== undefined && ACCESS_DENIED.has(code)) return make('ACCESS_DENIED', error);
    // HEAD has no body: a bare 403 is a denial, a 404 on the bucket is a missing bucket.
    if (httpStatus === 403) return make('ACCESS_DENIED', error);
    if (httpStatus === 404 && (context.operation === 'headBucket' || context.operation === 'list')) {
      return make('NO_SUCH_BUCKET', error, { details: bucketDetails });
    }
    return make('STORAGE_ERROR', error, {
      reason: `the storage answered ${httpStatus}${code === undefined || code === 'Unknown' ? '' : ` ${code}`}`,
      retryable: httpStatus >= 500 || httpStatus === 429,
    });
  }

  // Transport errors.
  for (const e of links) {
    const nodeCode = str(e.code);
    const message = str(e.message) ?? '';
    if (nodeCode !== undefined && TLS_CODE.test(nodeCode)) {
      return make('STORAGE_TLS', error, { reason: nodeCode });
    }
    if (
      /certificate|self[- ]signed|wrong version number|ssl routines|tls/iu.test(message) &&
      nodeCode !== 'ECONNRESET'
    ) {
      return make('STORAGE_TLS', error, { reason: message.slice(0, 120) });
    }
    if (nodeCode !== undefined && UNREACHABLE_CODES.has(nodeCode)) {
      const reason =
        nodeCode === 'ENOTFOUND' || nodeCode === 'EAI_AGAIN' || nodeCode === 'EAI_NONAME'
          ? 'the host name does not resolve'
          : nodeCode === 'ECONNREFUSED'
            ? 'connection refused'
            : nodeCode === 'ECONNRESET' || nodeCode === 'EPIPE'
              ? 'the connection was reset'
              : 'no route to the host';
      return make('STORAGE_UNREACHABLE', error, { reason, retryable: true });
    }
    if (/did not establish a connection/iu.test(message)) {
      return make('STORAGE_UNREACHABLE', error, {
        reason: 'no connection could be established in time',
        retryable: true,
      });
    }
    if (str(e.name) === 'TimeoutError' || nodeCode === 'ETIMEDOUT' || nodeCode === 'ESOCKETTIMEDOUT') {
      return make('STORAGE_TIMEOUT', error, {
        reason: 'the endpoint did not answer in time',
        retryable: true,
      });
    }
    if (
      (nodeCode !== undefined && INVALID_URL_CODES.has(nodeCode)) ||
      /invalid url|invalid endpoint/iu.test(message)
    ) {
      return make('INVALID_ENDPOINT', error);
    }
  }
  if (code === 'AbortError') return make('STORAGE_ERROR', error, { reason: 'the request was aborted' });
  return make('STORAGE_ERROR', error, { retryable: true });
}

function wrongRegion(error: unknown): AppError {
  const region = regionFromError(error);
  const where = region === undefined ? '' : ` (the bucket is in ${region})`;
  return new AppError('WRONG_REGION', {
    cause: error,
    message: `Verification failed: WrongRegion${where}`,
    ...(region === undefined ? {} : { hint: `Set region to ${region}.`, details: { region } }),
  });
}

/** True for errors that mean "this key may not do that" (used to record a capability as false). */
export function isDenied(error: AppError): boolean {
  return error.code === 'ACCESS_DENIED';
}
