import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNodeProcessRunner } from '../../../../src/media/process-runner.js';

// Real tools from Debian (ffmpeg/ffprobe 5.1, yt-dlp 2023.03.04); paths overridable like the app's.
export const TOOLS = {
  ffmpegPath: process.env['BUCKETLOAD_FFMPEG_PATH'] ?? '/usr/bin/ffmpeg',
  ffprobePath: process.env['BUCKETLOAD_FFPROBE_PATH'] ?? '/usr/bin/ffprobe',
  ytdlpPath: process.env['BUCKETLOAD_YTDLP_PATH'] ?? '/usr/bin/yt-dlp',
} as const;

export const runner = createNodeProcessRunner({ killGraceMs: 500 });

const execFileP = promisify(execFile);

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `bucketload-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface ClipSpec {
  readonly width?: number;
  readonly height?: number;
  readonly seconds?: number;
  readonly video?: boolean;
  readonly audio?: boolean;
  /** Put the moov atom first (`+faststart`); default false: ffmpeg's own default, moov at the end. */
  readonly faststart?: boolean;
  /** Extra output options, e.g. codecs for webm. */
  readonly codecArgs?: readonly string[];
}

/** Generates a small clip from lavfi test sources (testsrc2 + a sine tone), in well under a second. */
export async function makeClip(path: string, spec: ClipSpec = {}): Promise<string> {
  const { width = 640, height = 360, seconds = 4, video = true, audio = true } = spec;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=${seconds}`);
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  const codecs = spec.codecArgs ?? [
    ...(video ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p'] : []),
    ...(audio ? ['-c:a', 'aac', '-b:a', '96k'] : []),
  ];
  args.push(...codecs, ...(spec.faststart === true ? ['-movflags', '+faststart'] : []), path);
  await execFileP(TOOLS.ffmpegPath, args, { timeout: 30_000 });
  return path;
}

/** Runs ffmpeg directly (fixture preparation only: the code under test goes through the runner). */
export async function ffmpegRaw(args: readonly string[]): Promise<void> {
  await execFileP(TOOLS.ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
    timeout: 30_000,
  });
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
