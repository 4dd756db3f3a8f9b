/**
 * A process-wide tap on failed S3 calls, for the `bucketload_s3_errors_total{code,operation}`
 * counter. S3 clients are built deep inside storage code (one per destination), so instead of
 * threading a metrics object through every factory, `createS3Client` reports here and each metrics
 * registry of the process subscribes.
 */
export interface S3ErrorEvent {
  /** The service's error code (`AccessDenied`, `NoSuchBucket`, `SlowDown`, …) or the network error's (`ECONNREFUSED`, `TimeoutError`). */
  readonly code: string;
  /** The SDK command, e.g. `PutObjectCommand`. */
  readonly operation: string;
}

type Listener = (event: S3ErrorEvent) => void;
const listeners = new Set<Listener>();

/** Subscribes; returns the unsubscribe function. */
export function onS3Error(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const SAFE_LABEL = /^[A-Za-z0-9_.-]{1,64}$/;

/** The label for an S3 failure: the service code, else the network error's code or name. */
export function s3ErrorCode(error: unknown): string {
  const e = (error ?? {}) as { Code?: unknown; name?: unknown; code?: unknown };
  const candidates = [e.Code, e.name === 'Error' ? undefined : e.name, e.code, e.name];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && SAFE_LABEL.test(candidate)) return candidate;
  }
  return 'Unknown';
}

/** Called by the S3 client middleware for every failed command (after the SDK's own retries). */
export function reportS3Error(error: unknown, operation: string | undefined): void {
  if (listeners.size === 0) return;
  const code = s3ErrorCode(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  // Not failures: a HEAD that finds no object is how "absent" is asked, and a cancel is a cancel.
  if (code === 'AbortError' || (operation === 'HeadObjectCommand' && (status === 404 || code === 'NotFound')))
    return;
  const event = {
    code,
    operation: operation !== undefined && SAFE_LABEL.test(operation) ? operation : 'Unknown',
  };
  for (const listener of listeners) listener(event);
}
