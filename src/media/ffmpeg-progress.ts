/** How far an ffmpeg operation is, in media time. `fraction` never decreases. */
export interface MediaProgress {
  readonly processedSeconds: number;
  readonly totalSeconds?: number;
  /** processed / total in [0, 1], when the total is known. */
  readonly fraction?: number;
}

/**
 * Parses ffmpeg's `-progress pipe:1` output: blocks of `key=value` lines, each closed by
 * `progress=continue` or `progress=end`. ffmpeg prints `out_time_us=N/A` and negative times before
 * the first packet, and the time can step back slightly between outputs of a ladder; the parser
 * reports only forward movement.
 */
export class FfmpegProgressParser {
  private processed = 0;
  private blockTime: number | undefined;

  constructor(
    private readonly totalSeconds: number | undefined,
    private readonly onProgress: (progress: MediaProgress) => void,
  ) {}

  /** Feed one stdout line. */
  push(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us' || key === 'out_time_ms') {
      // Both are microseconds (out_time_ms is misnamed in ffmpeg ≤ 6).
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) this.blockTime = us / 1e6;
    } else if (key === 'out_time' && this.blockTime === undefined) {
      const seconds = parseClock(value);
      if (seconds !== undefined) this.blockTime = seconds;
    } else if (key === 'progress') {
      this.flush(value === 'end');
    }
  }

  private flush(ended: boolean): void {
    const time = this.blockTime;
    this.blockTime = undefined;
    if (time !== undefined && time > this.processed) this.processed = time;
    const total = this.totalSeconds;
    if (ended && total !== undefined && total > 0) this.processed = Math.max(this.processed, total);
    if (total !== undefined && total > 0) {
      this.onProgress({
        processedSeconds: this.processed,
        totalSeconds: total,
        fraction: Math.min(1, this.processed / total),
      });
    } else {
      this.onProgress({ processedSeconds: this.processed });
    }
  }
}

/** `HH:MM:SS.ffffff` → seconds; undefined for `N/A` or a negative clock. */
export function parseClock(value: string): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value);
  if (m === null) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}
