import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../../src/core/errors.js';
import { probeMedia } from '../../../src/media/ffprobe.js';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { ffmpegRaw, makeClip, makeTempDir, runner, TOOLS } from './support/media-tools.js';

// Real: ffprobe and ffmpeg 5.1 on clips generated here from lavfi sources.

const signal = new AbortController().signal;
const probe = (path: string) => probeMedia(path, { runner, ffprobePath: TOOLS.ffprobePath, signal });
let dir = '';
let cleanup = async (): Promise<void> => {};

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('ffprobe'));
  const mp4 = await makeClip(join(dir, 'clip.mp4'), { seconds: 2 });
  await Promise.all([
    makeClip(join(dir, 'audio.m4a'), { video: false, seconds: 2 }),
    makeClip(join(dir, 'clip.webm'), {
      seconds: 2,
      width: 320,
      height: 240,
      codecArgs: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus'],
    }),
    makeClip(join(dir, 'tone.mp3'), { video: false, seconds: 2, codecArgs: ['-c:a', 'libmp3lame'] }),
    makeClip(join(dir, 'tone.opus'), { video: false, seconds: 2, codecArgs: ['-c:a', 'libopus'] }),
    ffmpegRaw(['-i', mp4, '-c', 'copy', join(dir, 'clip.mkv')]),
    ffmpegRaw(['-i', mp4, '-c', 'copy', join(dir, 'clip.mov')]),
    ffmpegRaw(['-i', mp4, '-c', 'copy', join(dir, 'clip.ts')]),
    ffmpegRaw(['-ss', '1', '-i', mp4, '-frames:v', '1', '-update', '1', join(dir, 'frame.jpg')]),
    writeFile(join(dir, 'notes.txt'), 'not media at all\n'),
    writeFile(join(dir, 'empty.mp4'), ''),
  ]);
});

afterAll(async () => {
  await cleanup();
  expect(activeProcessCount()).toBe(0);
});

describe('probeMedia (real ffprobe)', () => {
  it('reads streams, duration and size of an H.264/AAC mp4', async () => {
    const p = await probe(join(dir, 'clip.mp4'));
    expect(p.kind).toBe('video');
    expect(p.container).toEqual({ ext: 'mp4', contentType: 'video/mp4' });
    expect(p.durationSeconds).toBeCloseTo(2, 1);
    expect(p.sizeBytes).toBeGreaterThan(1000);
    expect(p.streams.map((s) => [s.type, s.codec])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    expect(p.streams[0]).toMatchObject({ width: 640, height: 360, frameRate: 25 });
  });

  it.each([
    ['audio.m4a', 'm4a', 'audio/mp4', 'audio'],
    ['clip.webm', 'webm', 'video/webm', 'video'],
    ['clip.mkv', 'mkv', 'video/x-matroska', 'video'],
    ['clip.mov', 'mov', 'video/quicktime', 'video'],
    ['clip.ts', 'ts', 'video/mp2t', 'video'],
    ['tone.mp3', 'mp3', 'audio/mpeg', 'audio'],
    ['tone.opus', 'opus', 'audio/ogg', 'audio'],
    ['frame.jpg', 'jpg', 'image/jpeg', 'image'],
  ])('maps %s to the real container %s (%s)', async (name, ext, contentType, kind) => {
    const p = await probe(join(dir, name));
    expect(p.container).toEqual({ ext, contentType });
    expect(p.kind).toBe(kind);
  });

  it('trusts the content, not the extension', async () => {
    const p = await probe(join(dir, 'clip.mkv'));
    expect(p.formatName).toBe('matroska,webm');
    expect(p.container.ext).toBe('mkv'); // H.264 is not a WebM codec
  });

  it.each(['notes.txt', 'empty.mp4', 'missing.mp4'])('rejects %s as CORRUPT_MEDIA', async (name) => {
    const err = await probe(join(dir, name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as PermanentJobError).code).toBe('CORRUPT_MEDIA');
  });

  it('catches the moov-at-end mp4 that ffmpeg "remuxed" from a pipe with exit 0', async () => {
    // ffmpeg's default mp4 has the moov atom after the media data; read from a pipe it cannot seek
    // back, writes a header-only file and still exits 0.
    const broken = join(dir, 'from-pipe.mp4');
    const cmd = `cat "${join(dir, 'clip.mp4')}" | "${TOOLS.ffmpegPath}" -hide_banner -loglevel quiet -nostdin -y -i pipe:0 -c copy -f mp4 "${broken}"`;
    const exitCode = await new Promise<number | null>((resolve) => {
      execFile('/bin/sh', ['-c', cmd], { timeout: 20_000 }, (err) =>
        resolve(err === null ? 0 : (err.code as number)),
      );
    });
    expect(exitCode).toBe(0);
    const err = await probe(broken).catch((e: unknown) => e);
    expect((err as PermanentJobError).code).toBe('CORRUPT_MEDIA');
    expect((err as Error).message).toMatch(/no audio or video stream/);
  });
});
