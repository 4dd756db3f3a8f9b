/**
 * The object storage port: what the pipeline needs from a place that keeps files. Two variants sit
 * beside this file, `local/` (managed storage in the data dir) and `s3/` (the user's bucket or the
 * operator's). The port exposes no vendor types, so jobs and routes never import an SDK.
 *
 * Terms: a *key* is the object's full name inside the store (already built and validated by
 * `object-key.ts`, including any path prefix); *stored* means the store acknowledged the whole object.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Readable } from 'node:stream';
import { AppError } from '../core/errors.js';

/** One object to write. The body is streamed: a store never holds the whole file in memory. */
export interface PutObjectInput {
  /** The full key, validated by `validateObjectKey` (the store validates it again). */
  readonly key: string;
  readonly body: Readable;
  readonly contentType: string;
  /**
   * The announced size, when known. It sizes multipart parts, and the store fails the write with
   * SOURCE_TRUNCATED (fewer bytes) or INTEGRITY_MISMATCH (more bytes) instead of storing a partial
   * or different object.
   */
  readonly contentLength?: number;
  /** An ASCII `Content-Disposition` header value, e.g. from `contentDisposition(fileName)`. */
  readonly contentDisposition?: string;
  /** User metadata (`x-amz-meta-*` on S3): lowercase ASCII keys and ASCII values, 2 KB in all. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Conditional create: fail with OBJECT_EXISTS instead of replacing an object at this key. */
  readonly ifNoneMatch?: boolean;
  /**
   * Cancels the write: the store stops reading the body, stops parts in flight, and removes what it
   * wrote (aborts the multipart upload). The promise then rejects with an AbortError. A cancel
   * that arrives once the object is complete does not undo it: the write resolves.
   */
  readonly signal: AbortSignal;
  /** Called with the bytes the store has handed on so far (monotonic; may be coarse, e.g. per part). */
  onProgress?(bytesSent: number): void;
}

/** What was stored. `sha256` and `sizeBytes` are measured on the bytes that went through the store. */
export interface StoredObject {
  readonly key: string;
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the stored bytes, computed while streaming. */
  readonly sha256: string;
  readonly etag?: string;
  /**
   * Whether `sha256` is also persisted on the object (`x-amz-meta-sha256` on S3). False when the
   * store's credentials could not attach it (see docs/decisions/002-sha256-metadata.md); the hash
   * in the result is valid either way.
   */
  readonly sha256Stored: boolean;
}

export interface ObjectHead {
  readonly sizeBytes: number;
  readonly contentType?: string;
  readonly etag?: string;
  /** User metadata, keys lowercase (e.g. `sha256`). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface PresignGetOptions {
  /** 1 s to 7 days (604,800 s); anything else is VALIDATION_FAILED. */
  readonly expiresInSeconds: number;
  /** The file name the browser saves the download as (any Unicode; sent as RFC 5987 filename*). */
  readonly fileName: string;
  readonly contentType?: string;
  /**
   * `folder`: a link under which the files beside and below this one are reachable too, for HLS
   * and DASH players that follow relative URLs. Stores that cannot scope a signature to a folder
   * (S3) sign the one object.
   */
  readonly scope?: 'object' | 'folder';
}

/**
 * Failures are AppErrors with catalogue codes (ACCESS_DENIED, NO_SUCH_BUCKET, STORAGE_TIMEOUT, …),
 * except cancellation, which rejects with an AbortError. When a failed write could not remove what
 * it had started (e.g. the key may not abort multipart uploads), the error's
 * `details.incompleteUpload` names it (see `IncompleteUpload`).
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  /** The bucket, for S3 stores (shown in results). */
  readonly bucket?: string;
  put(input: PutObjectInput): Promise<StoredObject>;
  /** `undefined` when there is no object at the key. */
  head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** A time-limited URL that downloads the object as `fileName`. */
  presignGet(key: string, options: PresignGetOptions): Promise<string>;
}

/** A write that failed and left storage behind that the store could not remove. */
export interface IncompleteUpload {
  readonly key: string;
  readonly uploadId: string;
  /** Why the clean-up failed: an error code such as ACCESS_DENIED. */
  readonly reason: string;
}

/** The longest presigned URL lifetime S3 signature v4 allows. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;

/** Throws VALIDATION_FAILED unless `seconds` is a whole number from 1 to 7 days. */
export function assertPresignExpiry(seconds: number, field = 'presignExpiresIn'): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new AppError('VALIDATION_FAILED', {
      field,
      message: `${field} must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_SECONDS} (7 days).`,
    });
  }
}

/** A pass-through stream that hashes and counts what flows through it. */
export interface HashingCounter extends Transform {
  /** Bytes that have passed so far. */
  readonly bytes: number;
  /** Lowercase hex SHA-256 of all bytes; only valid once the stream has ended (throws before). */
  digest(): string;
}

export interface HashingCounterOptions {
  /**
   * The size the source announced. More bytes fail the stream at once with INTEGRITY_MISMATCH; fewer
   * fail it at the end with SOURCE_TRUNCATED, before the consumer sees the end, so a store never
   * completes a short object.
   */
  readonly expectedBytes?: number;
}

/**
 * Every store pipes the body through one of these, so the SHA-256 and byte count describe exactly
 * the bytes that were handed to the storage, with no second read of the file.
 */
export function createHashingCounter(options: HashingCounterOptions = {}): HashingCounter {
  const hash = createHash('sha256');
  const expected = options.expectedBytes;
  let bytes = 0;
  let hex: string | undefined;

  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      bytes += chunk.length;
      if (expected !== undefined && bytes > expected) {
        callback(
          new AppError('INTEGRITY_MISMATCH', {
            message: `The source sent more than the ${expected} bytes it announced.`,
            details: { expectedBytes: expected },
          }),
        );
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (expected !== undefined && bytes < expected) {
        callback(
          new AppError('SOURCE_TRUNCATED', {
            message: `The source ended after ${bytes} of the ${expected} bytes it announced.`,
            details: { expectedBytes: expected, receivedBytes: bytes },
          }),
        );
        return;
      }
      hex = hash.digest('hex');
      callback();
    },
  });

  return Object.defineProperties(stream, {
    bytes: { get: () => bytes, enumerable: true },
    digest: {
      value: (): string => {
        if (hex === undefined) throw new Error('digest() called before the stream ended');
        return hex;
      },
    },
  }) as HashingCounter;
}
