import type { JobError, JobProgress } from '../jobs/job.js';
import type { JobPhase } from '../jobs/job-types.js';
import type { RunEvent } from './one-job-runner.js';

/**
 * How `bucketload import` shows a running job:
 * - `bar`: one line on a terminal's stderr, redrawn (phase, bar, percent, bytes, speed, ETA);
 * - `json`: JSON lines on stdout (`progress`, `phase`, `retry` events; the command adds `started`
 *   and `result`);
 * - `plain`: phase changes and retries as lines on stderr (pipes, CI logs);
 * - `none`: nothing.
 * Progress never goes backwards in what is shown: within a phase bytes only grow, and the percent
 * only grows across the whole job.
 */
export type DisplayMode = 'bar' | 'json' | 'plain' | 'none';

export interface ProgressDisplay {
  handle(event: RunEvent): void;
  /** Clears the bar (before the result or an error is printed). */
  finish(): void;
}

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

const JSON_INTERVAL_MS = 200;
const BAR_INTERVAL_MS = 100;
const SPEED_WINDOW_MS = 3000;

export function createProgressDisplay(
  mode: DisplayMode,
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WriteStream | NodeJS.WritableStream },
): ProgressDisplay {
  let phase: JobPhase | 'waiting' | 'queued' = 'queued';
  let bytes = 0;
  let totalBytes: number | null = null;
  let percent: number | null = null;
  let samples: Sample[] = [];
  let lastDraw = 0;
  let drawn = false;
  let pending: ReturnType<typeof setTimeout> | undefined;

  const speed = (): number | null => {
    const first = samples[0];
    const last = samples.at(-1);
    if (first === undefined || last === undefined || last.at - first.at < 250) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  };
  const eta = (): number | null => {
    const s = speed();
    if (s === null || s <= 0 || totalBytes === null || totalBytes < bytes) return null;
    return Math.round((totalBytes - bytes) / s);
  };

  const writeJson = (value: Record<string, unknown>): void => {
    out.stdout.write(`${JSON.stringify(value)}\n`);
  };
  const progressJson = (): void => {
    const s = speed();
    writeJson({
      type: 'progress',
      phase,
      bytes,
      totalBytes,
      percent: percent === null ? null : Math.round(percent * 10) / 10,
      bytesPerSecond: s === null ? null : Math.round(s),
      etaSeconds: eta(),
    });
  };
  const columns = (): number => {
    const width = 'columns' in out.stderr ? out.stderr.columns : undefined;
    return typeof width === 'number' && width >= 40 ? width : 80;
  };
  const drawBar = (): void => {
    const s = speed();
    const e = eta();
    const width = columns();
    // Fixed-width fields so the bar does not jump about as the numbers change.
    const amount =
      totalBytes === null
        ? bytes === 0
          ? ''
          : formatBytes(bytes)
        : `${formatBytes(bytes)} / ${formatBytes(totalBytes)}`;
    const fields = [
      phase.padEnd(10),
      percent === null ? '' : `${Math.floor(percent).toString().padStart(3)}%`,
      amount.padEnd(21),
      (s === null ? '' : `${formatBytes(s)}/s`).padEnd(12),
      e === null ? '' : `ETA ${formatDuration(e)}`,
    ];
    const barWidth = percent === null ? 0 : width >= 100 ? 30 : width >= 80 ? 16 : 0;
    if (barWidth > 0) {
      const filled = Math.round((Math.min(100, percent ?? 0) / 100) * barWidth);
      fields.splice(1, 0, `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`);
    }
    const text = fields
      .filter((f) => f.trim() !== '' || f === fields[0])
      .join(' ')
      .trimEnd();
    out.stderr.write(`\r\x1b[K${text.slice(0, width - 1)}`);
    drawn = true;
  };
  const render = (force: boolean): void => {
    const interval = mode === 'json' ? JSON_INTERVAL_MS : BAR_INTERVAL_MS;
    const now = Date.now();
    if (pending !== undefined) {
      clearTimeout(pending);
      pending = undefined;
    }
    if (!force && now - lastDraw < interval) {
      // Draw the latest state a little later, so the last update before a pause is shown.
      pending = setTimeout(() => render(true), interval - (now - lastDraw));
      pending.unref();
      return;
    }
    lastDraw = now;
    if (mode === 'json') progressJson();
    else if (mode === 'bar') drawBar();
  };
  const clearBar = (): void => {
    if (mode === 'bar' && drawn) {
      out.stderr.write('\r\x1b[K');
      drawn = false;
    }
  };
  const line = (text: string): void => {
    if (mode === 'bar' || mode === 'plain') {
      clearBar();
      out.stderr.write(`${text}\n`);
    }
  };

  const setPhase = (next: JobPhase | 'waiting'): void => {
    if (next === phase) return;
    if (pending !== undefined) render(true);
    phase = next;
    samples = [];
    bytes = 0;
    totalBytes = null;
    if (mode === 'json') writeJson({ type: 'phase', phase: next });
    else if (mode === 'plain' && next !== 'waiting') line(`${next}…`);
    else if (mode === 'bar') render(true);
  };

  const onProgress = (p: JobProgress): void => {
    // Within a phase bytes only grow (a new phase or attempt starts from zero again).
    if (p.bytes < bytes) return;
    bytes = p.bytes;
    totalBytes = p.totalBytes;
    if (p.percent !== null) percent = Math.max(percent ?? 0, p.percent);
    const now = Date.now();
    samples.push({ at: now, bytes });
    while (samples.length > 2 && (samples[0]?.at ?? now) < now - SPEED_WINDOW_MS) samples.shift();
    render(false);
  };

  return {
    handle(event) {
      switch (event.type) {
        case 'attempt':
          if (event.attempt > 1) {
            if (mode === 'json')
              writeJson({ type: 'attempt', attempt: event.attempt, maxAttempts: event.maxAttempts });
            else line(`attempt ${event.attempt} of ${event.maxAttempts}`);
          }
          return;
        case 'phase':
          setPhase(event.phase);
          return;
        case 'progress':
          onProgress(event.progress);
          return;
        case 'retry':
          retry(event.attempt, event.error, event.retryAt);
          return;
        case 'elsewhere':
          return;
      }
    },
    finish() {
      if (pending !== undefined) {
        clearTimeout(pending);
        pending = undefined;
        if (mode === 'json') progressJson();
      }
      clearBar();
    },
  };

  function retry(attempt: number, error: JobError, retryAt: number): void {
    const seconds = Math.max(0, Math.round((retryAt - Date.now()) / 100) / 10);
    if (mode === 'json') writeJson({ type: 'retry', attempt, error, retryInSeconds: seconds });
    else line(`attempt ${attempt} failed: ${error.code}: ${error.message} — retrying in ${seconds} s`);
    setPhase('waiting');
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = (s % 60).toString().padStart(2, '0');
  return h > 0 ? `${h}:${m.toString().padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
