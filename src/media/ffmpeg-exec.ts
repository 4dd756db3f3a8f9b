import { AppError, PermanentJobError } from '../core/errors.js';
import { FfmpegProgressParser, type MediaProgress } from './ffmpeg-progress.js';
import type { ProcessRunner } from './process-runner.js';
import { summarizeToolOutput } from './tool-output.js';

export interface FfmpegExecOptions {
  readonly runner: ProcessRunner;
  readonly ffmpegPath: string;
  readonly signal: AbortSignal;
  readonly cwd?: string;
  /** The input's duration, to turn ffmpeg's media time into a fraction. */
  readonly totalSeconds?: number | undefined;
  readonly onProgress?: ((progress: MediaProgress) => void) | undefined;
}

/** ffmpeg says these when the input, not ffmpeg, is at fault; another attempt cannot help. */
const INPUT_FAULTS = [
  /Invalid data found when processing input/i,
  /moov atom not found/i,
  /could not find codec parameters/i,
  /does not contain any stream/i,
  /Output file #\d+ does not contain any stream/i,
  /Stream map '.*' matches no streams/i,
];

/**
 * Runs ffmpeg with the flags every operation needs (`-nostdin`, errors only on stderr, machine
 * progress on stdout) and turns a non-zero exit into `CORRUPT_MEDIA` (the input is unreadable) or
 * `TOOL_FAILED`. A zero exit proves nothing: callers probe what was written.
 */
export async function runFfmpeg(args: readonly string[], options: FfmpegExecOptions): Promise<void> {
  const parser =
    options.onProgress === undefined
      ? undefined
      : new FfmpegProgressParser(options.totalSeconds, options.onProgress);
  const result = await options.runner.run(
    options.ffmpegPath,
    ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', '-nostats', ...args],
    {
      signal: options.signal,
      stdin: 'ignore',
      maxStdoutBytes: 64 * 1024,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      ...(parser !== undefined ? { onStdoutLine: (line: string) => parser.push(line) } : {}),
    },
  );
  if (result.exitCode === 0) return;
  const summary = summarizeToolOutput(result.stderr);
  const why =
    result.exitCode === null ? `killed by ${result.exitSignal ?? 'a signal'}` : `exit ${result.exitCode}`;
  if (INPUT_FAULTS.some((re) => re.test(result.stderr))) {
    throw new PermanentJobError('CORRUPT_MEDIA', {
      message: `ffmpeg could not read the media (${why}): ${summary}`,
    });
  }
  throw new AppError('TOOL_FAILED', {
    message: `ffmpeg failed (${why}): ${summary}`,
    details: { tool: 'ffmpeg' },
  });
}
