// Pure logic: the progress rule of the queue.
import { describe, expect, it } from 'vitest';
import { mergeProgress } from '../../../src/jobs/job-progress.js';

describe('mergeProgress', () => {
  it('never lets the percentage go backwards or past 100', () => {
    const a = { bytes: 10, totalBytes: 100, percent: 40 };
    expect(mergeProgress(a, { bytes: 5, totalBytes: 100, percent: 20 })).toBeUndefined();
    expect(mergeProgress(a, { bytes: 20, totalBytes: 100, percent: 30 })).toEqual({
      bytes: 20,
      totalBytes: 100,
      percent: 40,
    });
    expect(mergeProgress(a, { bytes: 200, totalBytes: 100, percent: 150 })?.percent).toBe(100);
  });
  it('keeps the last percentage when a report has none, and accepts a new phase restarting bytes with a higher percentage', () => {
    const a = { bytes: 90, totalBytes: 90, percent: 60 };
    expect(mergeProgress(a, { bytes: 95, totalBytes: null, percent: null })?.percent).toBe(60);
    expect(mergeProgress(a, { bytes: 1, totalBytes: 50, percent: 61 })).toEqual({
      bytes: 1,
      totalBytes: 50,
      percent: 61,
    });
  });
});
