import { join } from 'node:path';
import { PermanentJobError } from '../core/errors.js';
import { MANIFEST_NAMES } from './abr-ladder.js';
import type { AudioCodec, VideoContainer } from './ffmpeg.js';
import type { MediaProbe } from './ffprobe.js';
import { contentTypeFor, type ContainerExt } from './media-container.js';
import { qualityHeight, type ArtifactRole, type MediaFormatRequest } from './media-format.js';
import { DEFAULT_RENDITIONS, type Rendition } from './rendition-ladder.js';

/** One ffmpeg operation of a plan; `input` is always the downloaded source. */
export type MediaStep =
  | { readonly op: 'remux'; readonly input: string; readonly output: string }
  | {
      readonly op: 'transcode';
      readonly input: string;
      readonly output: string;
      readonly maxHeight: number;
      readonly container: VideoContainer;
    }
  | {
      readonly op: 'extract-audio';
      readonly input: string;
      readonly output: string;
      readonly codec: AudioCodec;
    }
  | { readonly op: 'thumbnail'; readonly input: string; readonly output: string }
  | {
      readonly op: 'hls' | 'dash';
      readonly input: string;
      readonly outDir: string;
      readonly renditions: readonly Rendition[];
      readonly maxHeight?: number;
    };

/** A file (or, for hls/dash, a directory with its manifest) the job will deliver. */
export interface PlannedArtifact {
  readonly role: ArtifactRole;
  /** The file itself, or the manifest of an hls/dash directory. */
  readonly path: string;
  /** hls/dash only: the directory holding the manifest, playlists and segments. */
  readonly dir?: string;
  readonly ext: ContainerExt;
  readonly contentType: string;
  /** Index in `steps` of the step that writes it; undefined when it is the source unchanged. */
  readonly step?: number;
}

export interface OutputPlan {
  readonly steps: readonly MediaStep[];
  readonly artifacts: readonly PlannedArtifact[];
  /** Requested outputs that cannot or need not be made, and why (e.g. a thumbnail of audio). */
  readonly skipped: readonly { readonly role: ArtifactRole; readonly reason: string }[];
}

export interface OutputPlanInput {
  readonly sourcePath: string;
  readonly probe: MediaProbe;
  /** Where outputs are written (the attempt's temp dir). */
  readonly workDir: string;
  /** Default: `{ kind: 'original' }`, the source as it is. */
  readonly format?: MediaFormatRequest;
  /** Default: `['file']`. */
  readonly outputs?: readonly ArtifactRole[];
  readonly renditions?: readonly Rendition[];
  readonly maxDurationSeconds?: number;
}

const VIDEO_CONTAINERS: readonly VideoContainer[] = ['mp4', 'mkv', 'webm', 'mov'];

/** Codecs each container takes by stream copy (matroska takes anything). */
const COPYABLE: Readonly<Record<Exclude<VideoContainer, 'mkv'>, { video: Set<string>; audio: Set<string> }>> =
  {
    mp4: {
      video: new Set(['h264', 'hevc', 'av1', 'vp9', 'mpeg4']),
      audio: new Set(['aac', 'mp3', 'opus', 'ac3', 'eac3', 'alac', 'flac']),
    },
    mov: {
      video: new Set(['h264', 'hevc', 'mpeg4', 'prores', 'mjpeg']),
      audio: new Set(['aac', 'mp3', 'alac', 'ac3', 'pcm_s16le']),
    },
    webm: { video: new Set(['vp8', 'vp9', 'av1']), audio: new Set(['opus', 'vorbis']) },
  };

const AUDIO_EXT: Readonly<Record<AudioCodec, ContainerExt>> = { m4a: 'm4a', mp3: 'mp3', opus: 'opus' };

function invalid(message: string): PermanentJobError {
  return new PermanentJobError('VALIDATION_FAILED', { message, field: 'format.container' });
}

function canCopyInto(container: VideoContainer, probe: MediaProbe): boolean {
  if (container === 'mkv') return true;
  const table = COPYABLE[container];
  return probe.streams.every(
    (s) => s.type === 'other' || (s.type === 'video' ? table.video.has(s.codec) : table.audio.has(s.codec)),
  );
}

/** The audio codec to deliver: the requested one, else the source's own when it can be copied. */
function audioCodecFor(format: MediaFormatRequest, probe: MediaProbe): AudioCodec {
  const requested = format.kind === 'audio' ? format.container : undefined;
  switch (requested) {
    case 'm4a':
    case 'aac':
      return 'm4a';
    case 'mp3':
      return 'mp3';
    case 'opus':
    case 'ogg':
      return 'opus';
    case undefined:
      break;
    default:
      throw invalid(`Audio can be delivered as m4a, mp3 or opus, not ${requested}.`);
  }
  const codec = probe.streams.find((s) => s.type === 'audio')?.codec;
  if (codec === 'mp3') return 'mp3';
  if (codec === 'opus' || codec === 'vorbis') return 'opus';
  return 'm4a';
}

function videoHeight(probe: MediaProbe): number | undefined {
  const heights = probe.streams.filter((s) => s.type === 'video').map((s) => s.height ?? 0);
  return heights.length === 0 ? undefined : Math.max(...heights);
}

/**
 * Decides, without touching anything, which ffmpeg steps turn the downloaded source into the
 * requested outputs, and what each delivered artifact will be. Unchanged sources are delivered as
 * they are (no step); nothing is ever scaled up.
 */
export function planOutputs(input: OutputPlanInput): OutputPlan {
  const { probe, sourcePath, workDir } = input;
  const format: MediaFormatRequest = input.format ?? { kind: 'original' };
  const outputs = [...new Set(input.outputs ?? ['file'])];
  const cap = qualityHeight(format.quality);
  const hasVideo = probe.kind === 'video';
  const hasAudio = probe.streams.some((s) => s.type === 'audio');

  if (input.maxDurationSeconds !== undefined && (probe.durationSeconds ?? 0) > input.maxDurationSeconds) {
    throw new PermanentJobError('MEDIA_TOO_LONG', {
      message: `The media lasts ${Math.round(probe.durationSeconds ?? 0)} s; this server accepts at most ${input.maxDurationSeconds} s.`,
    });
  }

  const steps: MediaStep[] = [];
  const artifacts: PlannedArtifact[] = [];
  const skipped: { role: ArtifactRole; reason: string }[] = [];
  const used = new Set([sourcePath]);
  /** `workDir/<stem>[.ext]`, numbered if the source (or an earlier output) already has the name. */
  const outPath = (stem: string, ext?: string): string => {
    const name = (n: string): string => join(workDir, ext === undefined ? n : `${n}.${ext}`);
    let path = name(stem);
    for (let i = 1; used.has(path); i += 1) path = name(`${stem}-${i}`);
    used.add(path);
    return path;
  };
  const add = (
    role: ArtifactRole,
    ext: ContainerExt,
    step: MediaStep | undefined,
    path: string,
    audioOnly = false,
  ) => {
    if (step !== undefined) steps.push(step);
    artifacts.push({
      role,
      path,
      ext,
      contentType: step === undefined ? probe.container.contentType : contentTypeFor(ext, audioOnly),
      ...(step !== undefined ? { step: steps.length - 1 } : {}),
    });
  };
  const planAudio = (role: ArtifactRole): void => {
    const codec = audioCodecFor(format, probe);
    const ext = AUDIO_EXT[codec];
    if (probe.kind === 'audio' && probe.container.ext === ext) {
      add(role, ext, undefined, sourcePath);
      return;
    }
    const output = outPath(role, ext);
    add(role, ext, { op: 'extract-audio', input: sourcePath, output, codec }, output, true);
  };

  for (const role of outputs) {
    switch (role) {
      case 'file': {
        if (format.kind === 'original') {
          add('file', probe.container.ext, undefined, sourcePath);
        } else if (format.kind === 'audio') {
          if (!hasAudio)
            throw new PermanentJobError('NO_MEDIA_FOUND', { message: 'The media has no audio stream.' });
          planAudio('file');
        } else {
          if (!hasVideo)
            throw new PermanentJobError('NO_MEDIA_FOUND', { message: 'The media has no video stream.' });
          const requested = format.container;
          if (requested !== undefined && !VIDEO_CONTAINERS.includes(requested as VideoContainer)) {
            throw invalid(`Video can be delivered as ${VIDEO_CONTAINERS.join(', ')}, not ${requested}.`);
          }
          const sourceExt = probe.container.ext;
          const target =
            (requested as VideoContainer | undefined) ??
            (VIDEO_CONTAINERS.includes(sourceExt as VideoContainer) ? (sourceExt as VideoContainer) : 'mp4');
          const height = videoHeight(probe) ?? 0;
          if (cap !== undefined && height > cap) {
            const output = outPath('file', target);
            add(
              'file',
              target,
              { op: 'transcode', input: sourcePath, output, maxHeight: cap, container: target },
              output,
            );
          } else if (sourceExt === target) {
            add('file', target, undefined, sourcePath);
          } else if (canCopyInto(target, probe)) {
            const output = outPath('file', target);
            add('file', target, { op: 'remux', input: sourcePath, output }, output);
          } else {
            const output = outPath('file', target);
            const maxHeight = Math.max(2, height);
            add(
              'file',
              target,
              { op: 'transcode', input: sourcePath, output, maxHeight, container: target },
              output,
            );
          }
        }
        break;
      }
      case 'audio':
        if (format.kind === 'audio' && outputs.includes('file')) {
          skipped.push({ role, reason: 'the file is already the audio' });
        } else if (!hasAudio) {
          skipped.push({ role, reason: 'the media has no audio stream' });
        } else {
          planAudio('audio');
        }
        break;
      case 'thumbnail':
        if (!hasVideo) {
          skipped.push({ role, reason: 'the media has no video stream' });
        } else {
          const output = outPath('thumbnail', 'jpg');
          add('thumbnail', 'jpg', { op: 'thumbnail', input: sourcePath, output }, output);
        }
        break;
      case 'hls':
      case 'dash':
        if (!hasVideo) {
          skipped.push({ role, reason: 'the media has no video stream' });
        } else {
          const outDir = outPath(role);
          const step: MediaStep = {
            op: role,
            input: sourcePath,
            outDir,
            renditions: input.renditions ?? DEFAULT_RENDITIONS,
            ...(cap !== undefined ? { maxHeight: cap } : {}),
          };
          steps.push(step);
          const ext = role === 'hls' ? 'm3u8' : 'mpd';
          artifacts.push({
            role,
            path: join(outDir, MANIFEST_NAMES[role]),
            dir: outDir,
            ext,
            contentType: contentTypeFor(ext),
            step: steps.length - 1,
          });
        }
        break;
    }
  }

  if (artifacts.length === 0) {
    throw new PermanentJobError('NO_MEDIA_FOUND', {
      message: `None of the requested outputs can be made: ${skipped.map((s) => `${s.role} (${s.reason})`).join(', ')}.`,
    });
  }
  return { steps, artifacts, skipped };
}
