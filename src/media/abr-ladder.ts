import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PermanentJobError } from '../core/errors.js';
import { runFfmpeg } from './ffmpeg-exec.js';
import type { MediaProgress } from './ffmpeg-progress.js';
import type { MediaProbe } from './ffprobe.js';
import { checkOutput } from './output-check.js';
import type { ProcessRunner } from './process-runner.js';
import { selectRenditions, type Rendition } from './rendition-ladder.js';

export type LadderKind = 'hls' | 'dash';

export interface LadderRung extends Rendition {
  /** Height and width actually written (width follows the source aspect ratio). */
  readonly width?: number;
}

export interface LadderResult {
  readonly kind: LadderKind;
  readonly dir: string;
  /** `master.m3u8` or `manifest.mpd`, inside `dir`. */
  readonly manifestPath: string;
  readonly contentType: string;
  readonly renditions: readonly LadderRung[];
  /** Every file written, relative to `dir`, sorted. */
  readonly files: readonly string[];
  /** The probe of the manifest (all rungs' streams, the presentation's duration). */
  readonly probe: MediaProbe;
}

export interface AbrArgsInput {
  readonly kind: LadderKind;
  /** Absolute: ffmpeg runs inside the output dir. */
  readonly input: string;
  readonly renditions: readonly Rendition[];
  readonly hasAudio: boolean;
  readonly frameRate: number;
  readonly segmentSeconds: number;
}

export const MANIFEST_NAMES: Readonly<Record<LadderKind, string>> = {
  hls: 'master.m3u8',
  dash: 'manifest.mpd',
};
const CONTENT_TYPES: Readonly<Record<LadderKind, string>> = {
  hls: 'application/vnd.apple.mpegurl',
  dash: 'application/dash+xml',
};

/**
 * ffmpeg arguments (after the common flags) for a ladder written into the current directory. One
 * decode, a split per rung, H.264 (veryfast) + AAC; a fixed GOP of one segment (`-g` =
 * `-keyint_min`, no scene-cut keyframes) so every rung's segments start on aligned keyframes and a
 * player can switch between them.
 */
export function buildAbrLadderArgs(spec: AbrArgsInput): string[] {
  const n = spec.renditions.length;
  const gop = Math.max(1, Math.round(spec.frameRate * spec.segmentSeconds));
  const split = `[0:v]split=${n}${spec.renditions.map((_, i) => `[s${i}]`).join('')}`;
  const scales = spec.renditions.map((r, i) => `[s${i}]scale=-2:${r.height}[v${i}]`);
  const args = ['-i', spec.input, '-filter_complex', [split, ...scales].join(';')];

  spec.renditions.forEach((_, i) => args.push('-map', `[v${i}]`));
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-profile:v', 'high');
  args.push('-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');
  spec.renditions.forEach((r, i) => {
    args.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${Math.round(r.videoKbps * 1.07)}k`);
    args.push(`-bufsize:v:${i}`, `${Math.round(r.videoKbps * 1.5)}k`);
  });

  const seg = String(spec.segmentSeconds);
  if (spec.kind === 'hls') {
    // HLS variants each carry their own audio (plain muxed TS, playable everywhere).
    if (spec.hasAudio) {
      spec.renditions.forEach(() => args.push('-map', '0:a:0'));
      args.push('-c:a', 'aac', '-ac', '2');
      spec.renditions.forEach((r, i) => args.push(`-b:a:${i}`, `${r.audioKbps}k`));
    }
    const streamMap = spec.renditions
      .map((r, i) => (spec.hasAudio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`))
      .join(' ');
    args.push(
      '-f',
      'hls',
      '-hls_time',
      seg,
      '-hls_playlist_type',
      'vod',
      '-hls_flags',
      'independent_segments',
    );
    args.push('-hls_segment_type', 'mpegts', '-master_pl_name', MANIFEST_NAMES.hls);
    args.push('-hls_segment_filename', '%v/segment_%05d.ts', '-var_stream_map', streamMap, '%v/index.m3u8');
    return args;
  }

  // DASH: one audio representation shared by all video representations.
  if (spec.hasAudio) {
    const audioKbps = Math.max(...spec.renditions.map((r) => r.audioKbps));
    args.push('-map', '0:a:0', '-c:a', 'aac', '-ac', '2', '-b:a', `${audioKbps}k`);
  }
  args.push('-f', 'dash', '-seg_duration', seg, '-use_template', '1', '-use_timeline', '1');
  args.push('-adaptation_sets', spec.hasAudio ? 'id=0,streams=v id=1,streams=a' : 'id=0,streams=v');
  args.push('-init_seg_name', 'init-$RepresentationID$.$ext$');
  args.push('-media_seg_name', 'chunk-$RepresentationID$-$Number%05d$.$ext$');
  args.push(MANIFEST_NAMES.dash);
  return args;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

export interface RunLadderOptions {
  readonly signal: AbortSignal;
  readonly onProgress?: (progress: MediaProgress) => void;
  readonly segmentSeconds?: number;
  readonly maxHeight?: number;
}

/** Encodes `input` (already probed as `source`) into an HLS or DASH ladder inside `outDir`. */
export async function runAbrLadder(
  kind: LadderKind,
  source: MediaProbe,
  input: string,
  outDir: string,
  table: readonly Rendition[],
  options: RunLadderOptions,
  deps: { readonly runner: ProcessRunner; readonly ffmpegPath: string; readonly ffprobePath: string },
): Promise<LadderResult> {
  const video = source.streams.find((s) => s.type === 'video');
  if (video === undefined || video.height === undefined) {
    throw new PermanentJobError('NO_MEDIA_FOUND', {
      message: `The media has no video stream for ${kind.toUpperCase()}.`,
    });
  }
  const renditions = selectRenditions(video.height, table, options.maxHeight);
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const args = buildAbrLadderArgs({
    kind,
    input: resolve(input),
    renditions,
    hasAudio: source.streams.some((s) => s.type === 'audio'),
    frameRate: video.frameRate ?? 30,
    segmentSeconds: options.segmentSeconds ?? 4,
  });
  // Running inside the output dir keeps the dir's name out of ffmpeg's `%v`/`$Number$` patterns.
  await runFfmpeg(args, {
    ...deps,
    cwd: dir,
    signal: options.signal,
    totalSeconds: source.durationSeconds,
    onProgress: options.onProgress,
  });
  const manifestPath = join(dir, MANIFEST_NAMES[kind]);
  const probe = await checkOutput(
    manifestPath,
    { kind: 'video', durationSeconds: source.durationSeconds, maxHeight: video.height },
    { runner: deps.runner, ffprobePath: deps.ffprobePath, signal: options.signal },
  );
  const written = probe.streams.filter((s) => s.type === 'video');
  const rungs = renditions.map((r) => {
    const width = written.find((s) => s.height === r.height)?.width;
    return width === undefined ? r : { ...r, width };
  });
  if (written.length < renditions.length) {
    throw new PermanentJobError('CORRUPT_MEDIA', {
      message: `ffmpeg wrote ${written.length} of ${renditions.length} ${kind.toUpperCase()} renditions.`,
    });
  }
  return {
    kind,
    dir,
    manifestPath,
    contentType: CONTENT_TYPES[kind],
    renditions: rungs,
    files: await listFiles(dir),
    probe,
  };
}
