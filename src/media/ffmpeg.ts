import { extname } from 'node:path';
import { PermanentJobError } from '../core/errors.js';
import { runFfmpeg } from './ffmpeg-exec.js';
import type { MediaProgress } from './ffmpeg-progress.js';
import { probeMedia, type MediaProbe, type MediaStream } from './ffprobe.js';
import { runAbrLadder, type LadderResult } from './abr-ladder.js';
import { checkOutput } from './output-check.js';
import type { ProcessRunner } from './process-runner.js';
import type { Rendition } from './rendition-ladder.js';

export interface FfmpegDeps {
  readonly runner: ProcessRunner;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
}

export interface FfmpegOperationOptions {
  readonly signal: AbortSignal;
  /** Media time processed over the input's duration; never decreases. */
  readonly onProgress?: (progress: MediaProgress) => void;
}

export type AudioCodec = 'm4a' | 'mp3' | 'opus';
export type VideoContainer = 'mp4' | 'mkv' | 'webm' | 'mov';

export interface LadderOptions extends FfmpegOperationOptions {
  /** Target segment length; keyframes are forced at this interval. Default 4 s. */
  readonly segmentSeconds?: number;
  /** An extra cap on rung height (the job's quality). */
  readonly maxHeight?: number;
}

/**
 * ffmpeg operations on local files (in a job's temp dir). Each probes its input, runs ffmpeg with
 * `-progress`, and probes its output: a resolved promise means a readable, complete file.
 */
export interface Ffmpeg {
  /** Copies the audio and video streams into the container named by `output`'s extension. */
  remux(input: string, output: string, options: FfmpegOperationOptions): Promise<MediaProbe>;
  /** The first audio stream, copied when it already has the codec, else re-encoded. */
  extractAudio(
    input: string,
    output: string,
    codec: AudioCodec,
    options: FfmpegOperationOptions,
  ): Promise<MediaProbe>;
  /** One JPEG frame at `atSeconds` (default: 10 % in, at most 10 s), clamped inside the media. */
  thumbnail(
    input: string,
    output: string,
    options: FfmpegOperationOptions & { atSeconds?: number },
  ): Promise<MediaProbe>;
  /** H.264/AAC (VP9/Opus for webm), scaled down to at most `maxHeight` (never up). */
  transcodeToHeight(
    input: string,
    output: string,
    maxHeight: number,
    container: VideoContainer,
    options: FfmpegOperationOptions,
  ): Promise<MediaProbe>;
  /** `outDir/master.m3u8` + `outDir/<rung>/index.m3u8` + MPEG-TS segments. */
  hlsLadder(
    input: string,
    outDir: string,
    renditions: readonly Rendition[],
    options: LadderOptions,
  ): Promise<LadderResult>;
  /** `outDir/manifest.mpd` + fMP4 init and media segments. */
  dashLadder(
    input: string,
    outDir: string,
    renditions: readonly Rendition[],
    options: LadderOptions,
  ): Promise<LadderResult>;
}

/** Muxer (`-f`) per output extension. */
const MUXERS: Readonly<Record<string, string>> = {
  '.mp4': 'mp4',
  '.m4a': 'mp4',
  '.mov': 'mov',
  '.mkv': 'matroska',
  '.mka': 'matroska',
  '.webm': 'webm',
  '.mp3': 'mp3',
  '.opus': 'ogg',
  '.ogg': 'ogg',
  '.ts': 'mpegts',
  '.flac': 'flac',
  '.wav': 'wav',
};

const FASTSTART = new Set(['mp4', 'mov']);

function muxerFor(output: string): string {
  const muxer = MUXERS[extname(output).toLowerCase()];
  if (muxer === undefined)
    throw new TypeError(`No muxer for output ${output}: use one of ${Object.keys(MUXERS).join(' ')}.`);
  return muxer;
}

/** Flags that make a file play before it is fully downloaded (moov first). */
function muxFlags(muxer: string): string[] {
  return FASTSTART.has(muxer) ? ['-movflags', '+faststart'] : [];
}

function firstOf(probe: MediaProbe, type: MediaStream['type']): MediaStream | undefined {
  return probe.streams.find((s) => s.type === type);
}

const AUDIO_ENCODERS: Readonly<Record<AudioCodec, { copyFrom: string; muxer: string; encode: string[] }>> = {
  m4a: { copyFrom: 'aac', muxer: 'mp4', encode: ['-c:a', 'aac', '-b:a', '192k'] },
  mp3: { copyFrom: 'mp3', muxer: 'mp3', encode: ['-c:a', 'libmp3lame', '-q:a', '2'] },
  opus: { copyFrom: 'opus', muxer: 'ogg', encode: ['-c:a', 'libopus', '-b:a', '128k'] },
};

export function createFfmpeg(deps: FfmpegDeps): Ffmpeg {
  const probe = (path: string, signal: AbortSignal): Promise<MediaProbe> =>
    probeMedia(path, { runner: deps.runner, ffprobePath: deps.ffprobePath, signal });
  const exec = (
    args: string[],
    options: FfmpegOperationOptions,
    totalSeconds: number | undefined,
  ): Promise<void> =>
    runFfmpeg(args, { ...deps, signal: options.signal, totalSeconds, onProgress: options.onProgress });
  const probeOptions = (signal: AbortSignal) => ({
    runner: deps.runner,
    ffprobePath: deps.ffprobePath,
    signal,
  });

  return {
    async remux(input, output, options) {
      const muxer = muxerFor(output);
      const source = await probe(input, options.signal);
      // `V` (not `v`) skips cover art; subtitles and data streams rarely fit the target container.
      await exec(
        [
          '-i',
          input,
          '-map',
          '0:V?',
          '-map',
          '0:a?',
          '-c',
          'copy',
          '-map_metadata',
          '0',
          ...muxFlags(muxer),
          '-f',
          muxer,
          output,
        ],
        options,
        source.durationSeconds,
      );
      return checkOutput(
        output,
        { kind: source.kind === 'video' ? 'video' : 'audio', durationSeconds: source.durationSeconds },
        probeOptions(options.signal),
      );
    },

    async extractAudio(input, output, codec, options) {
      const source = await probe(input, options.signal);
      const audio = firstOf(source, 'audio');
      if (audio === undefined) {
        throw new PermanentJobError('NO_MEDIA_FOUND', {
          message: 'The media has no audio stream to extract.',
        });
      }
      const spec = AUDIO_ENCODERS[codec];
      const codecArgs = audio.codec === spec.copyFrom ? ['-c:a', 'copy'] : spec.encode;
      const expected = audio.durationSeconds ?? source.durationSeconds;
      await exec(
        [
          '-i',
          input,
          '-map',
          '0:a:0',
          '-vn',
          '-sn',
          '-dn',
          ...codecArgs,
          ...muxFlags(spec.muxer),
          '-f',
          spec.muxer,
          output,
        ],
        options,
        expected,
      );
      return checkOutput(output, { kind: 'audio', durationSeconds: expected }, probeOptions(options.signal));
    },

    async thumbnail(input, output, options) {
      const source = await probe(input, options.signal);
      if (firstOf(source, 'video') === undefined) {
        throw new PermanentJobError('NO_MEDIA_FOUND', {
          message: 'The media has no video stream for a thumbnail.',
        });
      }
      const duration = source.durationSeconds ?? 0;
      // A seek at or past the end makes ffmpeg exit 0 without writing anything.
      const latest = Math.max(0, duration - 0.25);
      const at = Math.min(Math.max(0, options.atSeconds ?? Math.min(duration * 0.1, 10)), latest);
      await exec(
        [
          '-ss',
          at.toFixed(3),
          '-i',
          input,
          '-map',
          '0:V:0',
          '-frames:v',
          '1',
          '-update',
          '1',
          '-c:v',
          'mjpeg',
          '-q:v',
          '2',
          '-f',
          'image2',
          output,
        ],
        options,
        undefined,
      );
      return checkOutput(output, { kind: 'image' }, probeOptions(options.signal));
    },

    async transcodeToHeight(input, output, maxHeight, container, options) {
      if (!Number.isInteger(maxHeight) || maxHeight < 2)
        throw new TypeError('maxHeight must be an integer ≥ 2.');
      const source = await probe(input, options.signal);
      if (firstOf(source, 'video') === undefined) {
        throw new PermanentJobError('NO_MEDIA_FOUND', {
          message: 'The media has no video stream to transcode.',
        });
      }
      const muxer = { mp4: 'mp4', mov: 'mov', mkv: 'matroska', webm: 'webm' }[container];
      const codecs =
        container === 'webm'
          ? [
              '-c:v',
              'libvpx-vp9',
              '-deadline',
              'realtime',
              '-cpu-used',
              '8',
              '-row-mt',
              '1',
              '-b:v',
              '0',
              '-crf',
              '33',
              '-c:a',
              'libopus',
              '-b:a',
              '128k',
            ]
          : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-c:a', 'aac', '-b:a', '160k'];
      await exec(
        [
          '-i',
          input,
          '-map',
          '0:V:0',
          '-map',
          '0:a:0?',
          // Even dimensions (yuv420p needs them); `min(ih, cap)` never upscales.
          '-vf',
          `scale=-2:'trunc(min(ih\\,${maxHeight})/2)*2'`,
          '-pix_fmt',
          'yuv420p',
          ...codecs,
          ...muxFlags(muxer),
          '-f',
          muxer,
          output,
        ],
        options,
        source.durationSeconds,
      );
      return checkOutput(
        output,
        { kind: 'video', durationSeconds: source.durationSeconds, maxHeight },
        probeOptions(options.signal),
      );
    },

    async hlsLadder(input, outDir, renditions, options) {
      const source = await probe(input, options.signal);
      return runAbrLadder('hls', source, input, outDir, renditions, options, deps);
    },

    async dashLadder(input, outDir, renditions, options) {
      const source = await probe(input, options.signal);
      return runAbrLadder('dash', source, input, outDir, renditions, options, deps);
    },
  };
}
