import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_PART_BYTES,
  S3_MAX_OBJECT_BYTES,
  S3_MAX_PARTS,
  S3_MIN_PART_BYTES,
  choosePartSize,
  partCount,
} from '../../../src/storage/s3/part-size.js';

// Pure logic.

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('choosePartSize', () => {
  it('uses 8 MiB parts for small and medium files', () => {
    expect(choosePartSize(0)).toBe(DEFAULT_MIN_PART_BYTES);
    expect(choosePartSize(20 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(78 * GiB)).toBe(8 * MiB);
  });

  it('grows the part size with the size so no upload needs more than 10,000 parts', () => {
    for (const size of [79 * GiB, 100 * GiB, 1024 * GiB, 4.5 * 1024 * GiB, S3_MAX_OBJECT_BYTES]) {
      const part = choosePartSize(size);
      expect(partCount(size, part)).toBeLessThanOrEqual(S3_MAX_PARTS);
      expect(part % MiB).toBe(0);
    }
  });

  it('at 5 TiB: 525 MiB parts, 9,987 of them', () => {
    const part = choosePartSize(S3_MAX_OBJECT_BYTES);
    expect(part).toBe(525 * MiB);
    expect(partCount(S3_MAX_OBJECT_BYTES, part)).toBe(9_987);
    // One MiB less would not do.
    expect(Math.ceil(S3_MAX_OBJECT_BYTES / (524 * MiB))).toBeGreaterThan(S3_MAX_PARTS);
  });

  it('sizes unknown-length uploads for the configured maximum (default 100 GiB → 11 MiB)', () => {
    expect(choosePartSize(undefined)).toBe(11 * MiB);
    expect(choosePartSize(undefined, { maxObjectBytes: 10 * GiB })).toBe(8 * MiB);
    expect(choosePartSize(undefined, { maxObjectBytes: 1024 * GiB })).toBe(105 * MiB);
  });

  it('never goes under S3’s 5 MiB minimum', () => {
    expect(choosePartSize(1, { minPartBytes: 1 })).toBe(S3_MIN_PART_BYTES);
  });

  it('refuses objects over 5 TiB with FILE_TOO_LARGE', () => {
    expect(() => choosePartSize(S3_MAX_OBJECT_BYTES + 1)).toThrow(
      expect.objectContaining({ code: 'FILE_TOO_LARGE' }),
    );
  });
});
