/**
 * Multipart part sizing (pure). S3 allows at most 10,000 parts of 5 MiB to 5 GiB (the last may be
 * smaller) and objects up to 5 TiB. The part size grows with the object so no upload needs more
 * than 10,000 parts; the uploader holds about partSize × (queueSize + 1) bytes in memory.
 */
import { AppError } from '../../core/errors.js';

const MiB = 1024 * 1024;

export const S3_MIN_PART_BYTES = 5 * MiB;
export const S3_MAX_PART_BYTES = 5 * 1024 * MiB;
export const S3_MAX_PARTS = 10_000;
export const S3_MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;

/** The part size for small and medium files: 8 MiB parts cover up to 78 GiB. */
export const DEFAULT_MIN_PART_BYTES = 8 * MiB;
/**
 * When the size is unknown (a stream without Content-Length), parts are sized for this much, so an
 * unknown-size upload may grow to it (≈ 11 MiB parts). Operators with bigger sources set
 * BUCKETLOAD_MAX_FILE_BYTES, which the store passes as `maxObjectBytes`.
 */
export const DEFAULT_UNKNOWN_SIZE_BYTES = 100 * 1024 * MiB;

export interface PartSizeOptions {
  /** The smallest part to use (at least 5 MiB). */
  readonly minPartBytes?: number;
  /** The largest object expected when the size is unknown. */
  readonly maxObjectBytes?: number;
}

/** The part size for an object of `sizeBytes` (or of unknown size), rounded up to whole MiB. */
export function choosePartSize(sizeBytes: number | undefined, options: PartSizeOptions = {}): number {
  const min = Math.max(S3_MIN_PART_BYTES, options.minPartBytes ?? DEFAULT_MIN_PART_BYTES);
  const planned =
    sizeBytes ?? Math.min(options.maxObjectBytes ?? DEFAULT_UNKNOWN_SIZE_BYTES, S3_MAX_OBJECT_BYTES);
  if (!Number.isFinite(planned) || planned < 0) throw new RangeError(`choosePartSize: bad size ${planned}`);
  if (planned > S3_MAX_OBJECT_BYTES) {
    throw new AppError('FILE_TOO_LARGE', {
      message: 'S3 objects are at most 5 TiB.',
      details: { sizeBytes: planned },
    });
  }
  const needed = Math.ceil(Math.ceil(planned / S3_MAX_PARTS) / MiB) * MiB;
  return Math.min(Math.max(min, needed), S3_MAX_PART_BYTES);
}

/** How many parts an object of `sizeBytes` takes with `partSize` (at least 1). */
export function partCount(sizeBytes: number, partSize: number): number {
  return Math.max(1, Math.ceil(sizeBytes / partSize));
}
