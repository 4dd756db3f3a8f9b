import { PermanentJobError } from '../core/errors.js';
import { probeMedia, type MediaProbe, type ProbeMediaOptions } from './ffprobe.js';

export interface OutputExpectation {
  /** What the output must contain. */
  readonly kind: 'video' | 'audio' | 'image' | 'any';
  /** The input's duration: an output much shorter than this is partial. */
  readonly durationSeconds?: number | undefined;
  /** No video stream may be taller than this. */
  readonly maxHeight?: number | undefined;
}

/** Shorter than 90 % of the input minus half a second counts as partial. */
export function isPartial(outputSeconds: number | undefined, inputSeconds: number | undefined): boolean {
  if (inputSeconds === undefined || inputSeconds <= 0) return false;
  if (outputSeconds === undefined) return true;
  return outputSeconds < inputSeconds * 0.9 - 0.5;
}

/**
 * Probes what ffmpeg wrote. ffmpeg exits 0 after writing only a header in several known cases (an
 * mp4 with its `moov` at the end read from a pipe, a seek past the end, a truncated input), so every
 * output is checked for the expected streams and a duration close to the input's.
 */
export async function checkOutput(
  path: string,
  expect: OutputExpectation,
  probeOptions: ProbeMediaOptions,
): Promise<MediaProbe> {
  let probe: MediaProbe;
  try {
    probe = await probeMedia(path, probeOptions);
  } catch (err) {
    if (err instanceof PermanentJobError && err.code === 'CORRUPT_MEDIA') {
      throw new PermanentJobError('CORRUPT_MEDIA', {
        message: `ffmpeg finished but its output is not usable: ${err.message}`,
        cause: err,
      });
    }
    throw err;
  }
  const fail = (why: string): never => {
    throw new PermanentJobError('CORRUPT_MEDIA', {
      message: `ffmpeg finished but its output is not usable: ${why}.`,
    });
  };
  const hasVideo = probe.streams.some((s) => s.type === 'video');
  const hasAudio = probe.streams.some((s) => s.type === 'audio');
  switch (expect.kind) {
    case 'video':
      if (!hasVideo) fail('it has no video stream');
      break;
    case 'audio':
      if (!hasAudio) fail('it has no audio stream');
      break;
    case 'image':
      if (probe.kind !== 'image') fail('it is not a still image');
      break;
    case 'any':
      break;
  }
  if (expect.kind !== 'image' && isPartial(probe.durationSeconds, expect.durationSeconds)) {
    fail(`it lasts ${probe.durationSeconds ?? 0} s of the input's ${expect.durationSeconds ?? 0} s`);
  }
  if (expect.maxHeight !== undefined) {
    const tallest = Math.max(0, ...probe.streams.map((s) => (s.type === 'video' ? (s.height ?? 0) : 0)));
    if (tallest > expect.maxHeight) fail(`it is ${tallest} px high, above ${expect.maxHeight}`);
  }
  return probe;
}
