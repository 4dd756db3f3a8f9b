/**
 * One import's overall percentage across its phases. Each stage owns a fixed slice of 0–100, chosen
 * before the job starts from what it will do, so the percentage only moves forward from one stage
 * to the next (the worker pool also refuses to lower it). 100 is reached only when the job
 * completes; verification is the last percent.
 */
export type ProgressStage = 'download' | 'process' | 'upload';

export type ProgressSpans = Readonly<Record<ProgressStage, readonly [number, number]>>;

/** With ffmpeg work, processing is the long part; without, downloading is. */
export function progressSpans(processing: boolean): ProgressSpans {
  return processing
    ? { download: [0, 30], process: [30, 85], upload: [85, 99] }
    : { download: [0, 85], process: [85, 86], upload: [86, 99] };
}

/** The overall percent for `fraction` (0..1, clamped) of `stage`, rounded to 0.1. */
export function overallPercent(spans: ProgressSpans, stage: ProgressStage, fraction: number): number {
  const [from, to] = spans[stage];
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  return Math.round((from + (to - from) * clamped) * 10) / 10;
}
