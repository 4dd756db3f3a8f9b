import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, PermanentJobError, toError } from '../core/errors.js';
import { resolveContainer, type MediaContainer } from './media-container.js';
import type { ProcessRunner } from './process-runner.js';
import { summarizeToolOutput } from './tool-output.js';

export interface MediaStream {
  readonly index: number;
  /** Cover art (`attached_pic`) and data/subtitle streams are `other`. */
  readonly type: 'video' | 'audio' | 'other';
  readonly codec: string;
  readonly width?: number;
  readonly height?: number;
  /** Frames per second (video), from `avg_frame_rate`, else `r_frame_rate`. */
  readonly frameRate?: number;
  readonly durationSeconds?: number;
}

export interface MediaProbe {
  /** ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  readonly formatName: string;
  /** Absent for still images and for some streams ffprobe cannot time. */
  readonly durationSeconds?: number;
  readonly sizeBytes: number;
  readonly bitRate?: number;
  /** `video` when a video stream exists, `audio` for audio only, `image` for a still picture. */
  readonly kind: 'video' | 'audio' | 'image';
  readonly streams: readonly MediaStream[];
  /** The extension and Content-Type of the container really found. */
  readonly container: MediaContainer;
}

export interface ProbeMediaOptions {
  readonly runner: ProcessRunner;
  readonly ffprobePath: string;
  readonly signal: AbortSignal;
  /** For an http(s) target (e.g. a presigned URL of a stored object): the proxy ffprobe goes through. */
  readonly httpProxy?: string;
  /** For an http(s) target: its size, when known (there is nothing to stat). */
  readonly sizeBytes?: number;
}

/** Shorter than this, an audio/video file is a stub (e.g. an mp4 header with no samples). */
const MIN_AV_DURATION_SECONDS = 0.05;
const IMAGE_FORMATS = /(^|,)(image2|[a-z0-9]+_pipe|gif)(,|$)/;

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function rate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const [a, b] = value.split('/').map(Number);
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0) {
    return undefined;
  }
  return a / b;
}

function toStream(raw: RawStream, position: number): MediaStream {
  const codecType = raw.codec_type;
  const type =
    codecType === 'audio'
      ? 'audio'
      : codecType === 'video' && raw.disposition?.attached_pic !== 1
        ? 'video'
        : 'other';
  const frameRate = type === 'video' ? (rate(raw.avg_frame_rate) ?? rate(raw.r_frame_rate)) : undefined;
  const durationSeconds = num(raw.duration);
  return {
    index: raw.index ?? position,
    type,
    codec: raw.codec_name ?? 'unknown',
    ...(raw.width !== undefined && raw.width > 0 ? { width: raw.width } : {}),
    ...(raw.height !== undefined && raw.height > 0 ? { height: raw.height } : {}),
    ...(frameRate !== undefined ? { frameRate } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
  };
}

function corrupt(path: string, reason: string, cause?: unknown): PermanentJobError {
  return new PermanentJobError('CORRUPT_MEDIA', {
    message: `The media could not be read: ${reason}.`,
    // Never the query: a presigned URL's signature must not reach an error body.
    details: { file: path.split('?')[0]?.split('/').pop() ?? '' },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/**
 * Reads a local file (or a local HLS/DASH manifest) with ffprobe and says what it really is.
 * Throws `CORRUPT_MEDIA` when ffprobe cannot read it, when it holds no audio or video stream, or
 * when its audio/video lasts (nearly) nothing: the checks that catch an ffmpeg run that exited 0
 * but wrote only a header.
 */
export async function probeMedia(path: string, options: ProbeMediaOptions): Promise<MediaProbe> {
  // ffprobe's DASH demuxer cannot resolve segments of a manifest given by a relative path
  // ("Error when loading first fragment"): always pass an absolute one.
  const remote = /^https?:\/\//i.test(path);
  const absolute = remote ? path : resolve(path);
  let sizeBytes = options.sizeBytes ?? 0;
  if (!remote) {
    try {
      const info = await stat(absolute);
      sizeBytes = info.size;
    } catch (err) {
      throw corrupt(absolute, 'the file does not exist', toError(err));
    }
  }
  if (!remote && sizeBytes === 0) throw corrupt(absolute, 'the file is empty');
  // A remote target is read through the egress proxy, never directly.
  const proxyArgs = remote && options.httpProxy !== undefined ? ['-http_proxy', options.httpProxy] : [];

  const result = await options.runner.run(
    options.ffprobePath,
    [
      '-v',
      'error',
      '-hide_banner',
      ...proxyArgs,
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      absolute,
    ],
    { signal: options.signal, stdin: 'ignore', maxStdoutBytes: 8 * 1024 * 1024 },
  );
  if (result.exitCode !== 0) {
    throw corrupt(
      absolute,
      summarizeToolOutput(result.stderr, 1) || `ffprobe exited with ${result.exitCode}`,
    );
  }

  let raw: RawProbe;
  try {
    raw = JSON.parse(result.stdout) as RawProbe;
  } catch (err) {
    throw new AppError('TOOL_FAILED', {
      message: 'ffprobe printed output that is not JSON.',
      cause: toError(err),
    });
  }

  const formatName = raw.format?.format_name ?? '';
  const streams = (raw.streams ?? []).map(toStream);
  const video = streams.filter((s) => s.type === 'video');
  const audio = streams.filter((s) => s.type === 'audio');
  if (video.length === 0 && audio.length === 0) throw corrupt(absolute, 'it has no audio or video stream');

  const isImage = audio.length === 0 && video.length === 1 && IMAGE_FORMATS.test(formatName);
  const streamDurations = [...video, ...audio].map((s) => s.durationSeconds ?? 0);
  const durationSeconds =
    num(raw.format?.duration) ?? (streamDurations.length > 0 ? Math.max(...streamDurations) : undefined);
  if (!isImage && durationSeconds !== undefined && durationSeconds < MIN_AV_DURATION_SECONDS) {
    throw corrupt(absolute, `its audio/video lasts ${durationSeconds} s`);
  }

  const bitRate = num(raw.format?.bit_rate);
  const tags = raw.format?.tags ?? {};
  const container = resolveContainer({
    formatName,
    majorBrand: tags['major_brand'],
    videoCodecs: video.map((s) => s.codec),
    audioCodecs: audio.map((s) => s.codec),
  });

  return {
    formatName,
    ...(durationSeconds !== undefined && !isImage ? { durationSeconds } : {}),
    sizeBytes,
    ...(bitRate !== undefined ? { bitRate } : {}),
    kind: isImage ? 'image' : video.length > 0 ? 'video' : 'audio',
    streams,
    container,
  };
}
