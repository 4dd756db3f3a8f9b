import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortError, PermanentJobError } from '../../../src/core/errors.js';
import { createFfmpeg } from '../../../src/media/ffmpeg.js';
import type { MediaProgress } from '../../../src/media/ffmpeg-progress.js';
import { checkOutput } from '../../../src/media/output-check.js';
import { activeProcessCount, activeProcessIds } from '../../../src/media/process-runner.js';
import { isPidAlive, makeClip, makeTempDir, runner, TOOLS } from './support/media-tools.js';

// Real: ffmpeg/ffprobe 5.1 through the node process runner, on clips generated here (lavfi).

const ffmpeg = createFfmpeg({ runner, ffmpegPath: TOOLS.ffmpegPath, ffprobePath: TOOLS.ffprobePath });
const signal = new AbortController().signal;
let dir = '';
let cleanup = async (): Promise<void> => {};
let clip = '';
let silent = '';

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('ffmpeg'));
  [clip, silent] = await Promise.all([
    makeClip(join(dir, 'clip.mp4'), { seconds: 4 }),
    makeClip(join(dir, 'silent.mp4'), { seconds: 2, audio: false }),
  ]);
});

afterAll(async () => {
  await cleanup();
  expect(activeProcessCount()).toBe(0);
});

function recorder(): { events: MediaProgress[]; onProgress: (p: MediaProgress) => void } {
  const events: MediaProgress[] = [];
  return { events, onProgress: (p) => events.push(p) };
}

function expectMonotonic(events: readonly MediaProgress[]): void {
  for (let i = 1; i < events.length; i += 1) {
    expect(events[i]!.processedSeconds).toBeGreaterThanOrEqual(events[i - 1]!.processedSeconds);
    expect(events[i]!.fraction ?? 0).toBeGreaterThanOrEqual(events[i - 1]!.fraction ?? 0);
  }
}

describe('ffmpeg operations (real ffmpeg)', () => {
  it('remuxes mp4 to mkv by stream copy, with progress to the end', async () => {
    const { events, onProgress } = recorder();
    const out = await ffmpeg.remux(clip, join(dir, 'remux.mkv'), { signal, onProgress });
    expect(out.container.ext).toBe('mkv');
    expect(out.durationSeconds).toBeCloseTo(4, 0);
    expect(out.streams.map((s) => s.codec)).toEqual(['h264', 'aac']);
    expect(events.at(-1)?.fraction).toBe(1);
    expectMonotonic(events);
  });

  it('extracts audio as m4a (copy), mp3 and opus (encode)', async () => {
    const m4a = await ffmpeg.extractAudio(clip, join(dir, 'a.m4a'), 'm4a', { signal });
    expect(m4a.container).toEqual({ ext: 'm4a', contentType: 'audio/mp4' });
    expect(m4a.kind).toBe('audio');
    const mp3 = await ffmpeg.extractAudio(clip, join(dir, 'a.mp3'), 'mp3', { signal });
    expect(mp3.container.ext).toBe('mp3');
    const opus = await ffmpeg.extractAudio(clip, join(dir, 'a.opus'), 'opus', { signal });
    expect(opus.container).toEqual({ ext: 'opus', contentType: 'audio/ogg' });
    expect(opus.durationSeconds).toBeCloseTo(4, 0);
  });

  it('refuses to extract audio from a silent video', async () => {
    const err = await ffmpeg
      .extractAudio(silent, join(dir, 'none.m4a'), 'm4a', { signal })
      .catch((e: unknown) => e);
    expect((err as PermanentJobError).code).toBe('NO_MEDIA_FOUND');
  });

  it('writes a JPEG thumbnail, clamping a seek past the end', async () => {
    const thumb = await ffmpeg.thumbnail(clip, join(dir, 'thumb.jpg'), { signal });
    expect(thumb.container).toEqual({ ext: 'jpg', contentType: 'image/jpeg' });
    expect(thumb.streams[0]).toMatchObject({ width: 640, height: 360 });
    // ffmpeg alone would exit 0 and write nothing for -ss 60 on a 4 s clip.
    const late = await ffmpeg.thumbnail(clip, join(dir, 'late.jpg'), { signal, atSeconds: 60 });
    expect(late.kind).toBe('image');
  });

  it('transcodes down to a height cap and never up', async () => {
    const down = await ffmpeg.transcodeToHeight(clip, join(dir, 'down.mp4'), 240, 'mp4', { signal });
    expect(down.streams.find((s) => s.type === 'video')).toMatchObject({
      codec: 'h264',
      height: 240,
      width: 426,
    });
    expect(down.durationSeconds).toBeCloseTo(4, 0);
    const same = await ffmpeg.transcodeToHeight(silent, join(dir, 'same.mp4'), 1080, 'mp4', { signal });
    expect(same.streams.find((s) => s.type === 'video')?.height).toBe(360);
  });

  it('detects a partial output that exit code 0 would hide', async () => {
    // A 2 s file offered as the output of a 4 s input: the duration check calls it partial.
    const err = await checkOutput(
      silent,
      { kind: 'video', durationSeconds: 4 },
      { runner, ffprobePath: TOOLS.ffprobePath, signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as PermanentJobError).code).toBe('CORRUPT_MEDIA');
  });

  it('cancel during a transcode kills ffmpeg and rejects with an AbortError', async () => {
    const long = await makeClip(join(dir, 'long.mp4'), { seconds: 12 });
    const ac = new AbortController();
    let pids: number[] = [];
    const pending = ffmpeg.transcodeToHeight(long, join(dir, 'canceled.webm'), 360, 'webm', {
      signal: ac.signal,
      onProgress: () => {
        if (pids.length > 0) return;
        pids = activeProcessIds();
        ac.abort();
      },
    });
    const started = Date.now();
    const err = await pending.catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pids.length).toBe(1);
    expect(isPidAlive(pids[0]!)).toBe(false);
    expect(activeProcessCount()).toBe(0);
  });
});
