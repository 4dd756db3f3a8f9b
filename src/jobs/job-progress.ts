import type { JobProgress } from './job.js';

/**
 * The queue's progress rule, shared by the worker pool and the one-shot CLI runner: progress never
 * goes backwards. A report with fewer bytes and no higher percentage is dropped (undefined); the
 * percentage only rises and never passes 100.
 */
export function mergeProgress(previous: JobProgress, next: JobProgress): JobProgress | undefined {
  if (next.bytes < previous.bytes && previous.percent !== null && (next.percent ?? 0) <= previous.percent)
    return undefined;
  const percent = next.percent === null ? previous.percent : Math.max(next.percent, previous.percent ?? 0);
  return {
    bytes: next.bytes,
    totalBytes: next.totalBytes,
    percent: percent === null ? null : Math.min(100, percent),
  };
}
