import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFfmpeg } from '../../../src/media/ffmpeg.js';
import type { MediaProgress } from '../../../src/media/ffmpeg-progress.js';
import { probeMedia } from '../../../src/media/ffprobe.js';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import type { Rendition } from '../../../src/media/rendition-ladder.js';
import { makeClip, makeTempDir, runner, TOOLS } from './support/media-tools.js';

// Real: ffmpeg 5.1 (libx264 veryfast, aac, hls and dash muxers) and ffprobe reading the manifests.

const ffmpeg = createFfmpeg({ runner, ffmpegPath: TOOLS.ffmpegPath, ffprobePath: TOOLS.ffprobePath });
const signal = new AbortController().signal;
const TABLE: readonly Rendition[] = [
  { name: '720p', height: 720, videoKbps: 1500, audioKbps: 128 },
  { name: '360p', height: 360, videoKbps: 600, audioKbps: 96 },
  { name: '240p', height: 240, videoKbps: 300, audioKbps: 64 },
];
const SOURCE_SECONDS = 4;
let dir = '';
let cleanup = async (): Promise<void> => {};
let clip = '';

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('abr'));
  clip = await makeClip(join(dir, 'clip.mp4'), { seconds: SOURCE_SECONDS, width: 640, height: 360 });
});

afterAll(async () => {
  await cleanup();
  expect(activeProcessCount()).toBe(0);
});

describe('ABR ladders (real ffmpeg + ffprobe)', () => {
  it('writes a two-rung HLS ladder, capped at the source height, with aligned segments', async () => {
    const events: MediaProgress[] = [];
    const hls = await ffmpeg.hlsLadder(clip, join(dir, 'hls'), TABLE, {
      signal,
      segmentSeconds: 2,
      onProgress: (p) => events.push(p),
    });
    expect(hls.renditions.map((r) => r.name)).toEqual(['360p', '240p']);
    expect(hls.contentType).toBe('application/vnd.apple.mpegurl');
    expect(hls.files).toContain('master.m3u8');
    expect(hls.files).toContain('360p/index.m3u8');
    expect(hls.files).toContain('240p/index.m3u8');

    const master = await readFile(hls.manifestPath, 'utf8');
    expect(master).toMatch(/RESOLUTION=640x360/);
    expect(master).toMatch(/RESOLUTION=426x240/);

    // ffprobe independently: duration within 0.5 s of the source, no rung above the source.
    const probe = await probeMedia(hls.manifestPath, { runner, ffprobePath: TOOLS.ffprobePath, signal });
    expect(probe.container.ext).toBe('m3u8');
    expect(Math.abs((probe.durationSeconds ?? 0) - SOURCE_SECONDS)).toBeLessThan(0.5);
    const heights = probe.streams.filter((s) => s.type === 'video').map((s) => s.height);
    expect(heights).toEqual([360, 240]);

    // Aligned keyframes: both rungs cut into the same number of segments of the same lengths.
    const durations = async (name: string) =>
      [...(await readFile(join(hls.dir, name, 'index.m3u8'), 'utf8')).matchAll(/#EXTINF:([\d.]+)/g)].map(
        (m) => Number(m[1]),
      );
    expect(await durations('360p')).toEqual(await durations('240p'));

    expect(events.at(-1)?.fraction).toBe(1);
  });

  it('writes a DASH manifest whose duration ffprobe reads within 0.5 s', async () => {
    const dash = await ffmpeg.dashLadder(clip, join(dir, 'dash'), TABLE, {
      signal,
      segmentSeconds: 2,
      maxHeight: 1080,
    });
    expect(dash.renditions.map((r) => r.height)).toEqual([360, 240]);
    expect(dash.files).toContain('manifest.mpd');
    expect(dash.files.filter((f) => f.startsWith('init-'))).toHaveLength(3); // two video + one audio

    const probe = await probeMedia(dash.manifestPath, { runner, ffprobePath: TOOLS.ffprobePath, signal });
    expect(probe.container).toEqual({ ext: 'mpd', contentType: 'application/dash+xml' });
    expect(Math.abs((probe.durationSeconds ?? 0) - SOURCE_SECONDS)).toBeLessThan(0.5);
    const video = probe.streams.filter((s) => s.type === 'video');
    expect(video.every((s) => (s.height ?? 0) <= 360)).toBe(true);
    expect(probe.streams.filter((s) => s.type === 'audio')).toHaveLength(1);
  });

  it('applies the quality cap on top of the source height', async () => {
    const hls = await ffmpeg.hlsLadder(clip, join(dir, 'hls-capped'), TABLE, {
      signal,
      segmentSeconds: 2,
      maxHeight: 240,
    });
    expect(hls.renditions.map((r) => r.name)).toEqual(['240p']);
  });
});
