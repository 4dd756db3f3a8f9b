import { basename } from 'node:path';

/**
 * Download progress as reported to callers. `downloadedBytes` and `fraction` never decrease.
 * `totalBytes` is exact unless `totalIsEstimate` (HLS/DASH give only an estimate that moves as
 * fragments arrive); use `fraction` for a percentage.
 */
export interface DownloadProgress {
  readonly downloadedBytes: number;
  readonly totalBytes?: number;
  readonly totalIsEstimate?: boolean;
  /** Overall completion in [0, 1]. */
  readonly fraction?: number;
  readonly fragmentIndex?: number;
  readonly fragmentCount?: number;
}

/** One `%(progress)j` object as yt-dlp prints it (the fields we use). */
export interface RawYtdlpProgress {
  readonly status?: string;
  readonly filename?: string;
  readonly downloaded_bytes?: number | null;
  readonly total_bytes?: number | null;
  readonly total_bytes_estimate?: number | null;
  readonly fragment_index?: number | null;
  readonly fragment_count?: number | null;
}

const PROGRESS_PREFIX = 'PROG ';

/** Parses a `PROG {json}` line printed by `--progress-template 'download:PROG %(progress)j'`. */
export function parseProgressLine(line: string): RawYtdlpProgress | undefined {
  if (!line.startsWith(PROGRESS_PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(line.slice(PROGRESS_PREFIX.length));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function positive(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Folds yt-dlp's per-file progress into one monotonic stream for the whole download.
 *
 * Why it is needed: a `bv*+ba` download reports two files one after another (the counter restarts
 * at 0 for the audio), and fragmented downloads report `total_bytes_estimate`, re-estimated after
 * each fragment, so `downloaded / estimate` jumps back. Files named `media.f<id>.<ext>` are parts of
 * a merge (two expected); within a fragmented file the byte estimate is only trusted inside the
 * current fragment's slot.
 */
export class YtdlpProgressTracker {
  private currentFile: string | undefined;
  private currentBytes = 0;
  private completedBytes = 0;
  private filesDone = 0;
  private downloaded = 0;
  private fraction = 0;

  /** Returns the progress to report, or undefined when the update carries nothing new. */
  push(raw: RawYtdlpProgress): DownloadProgress | undefined {
    const file = raw.filename ?? '';
    if (file !== this.currentFile) {
      // A file that never said "finished" still counts for what it downloaded.
      if (this.currentFile !== undefined && this.currentBytes > 0) {
        this.completedBytes += this.currentBytes;
        this.filesDone += 1;
      }
      this.currentFile = file;
      this.currentBytes = 0;
    }
    const bytes = positive(raw.downloaded_bytes) ?? 0;
    const finished = raw.status === 'finished';
    const exact = positive(raw.total_bytes);
    const estimate = exact === undefined ? positive(raw.total_bytes_estimate) : undefined;
    const fragmentIndex = raw.fragment_index ?? undefined;
    const fragmentCount = positive(raw.fragment_count);

    this.currentBytes = Math.max(this.currentBytes, bytes);
    this.downloaded = Math.max(this.downloaded, this.completedBytes + this.currentBytes);

    const fileFraction = finished
      ? 1
      : this.fileFraction(bytes, exact ?? estimate, fragmentIndex, fragmentCount);
    const parts = Math.max(/\.f[^.]+\.[^.]+$/.test(basename(file)) ? 2 : 1, this.filesDone + 1);
    const overall = (this.filesDone + fileFraction) / parts;
    this.fraction = Math.max(this.fraction, Math.min(1, overall));

    const fileTotal = exact ?? estimate;
    const totalIsEstimate = exact === undefined || parts > this.filesDone + 1;
    const progress: DownloadProgress = {
      downloadedBytes: this.downloaded,
      ...(fileTotal !== undefined
        ? {
            totalBytes: Math.max(this.downloaded, Math.round(this.completedBytes + fileTotal)),
            totalIsEstimate,
          }
        : {}),
      fraction: this.fraction,
      ...(typeof fragmentIndex === 'number' ? { fragmentIndex } : {}),
      ...(fragmentCount !== undefined ? { fragmentCount } : {}),
    };
    if (finished) {
      this.completedBytes += this.currentBytes;
      this.currentBytes = 0;
      this.filesDone += 1;
      this.currentFile = undefined;
    }
    return progress;
  }

  /** Total bytes so far, across files. */
  get downloadedBytes(): number {
    return this.downloaded;
  }

  private fileFraction(
    bytes: number,
    total: number | undefined,
    fragmentIndex: number | undefined,
    fragmentCount: number | undefined,
  ): number {
    const byBytes = total === undefined ? 0 : Math.min(1, bytes / total);
    if (fragmentCount === undefined || fragmentIndex === undefined) return Math.min(byBytes, 0.999);
    const done = Math.min(fragmentIndex, fragmentCount) / fragmentCount;
    const slotEnd = Math.min(fragmentIndex + 1, fragmentCount) / fragmentCount;
    return Math.min(Math.max(done, Math.min(byBytes, slotEnd)), 0.999);
  }
}
