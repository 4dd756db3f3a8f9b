import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFfmpeg } from '../../../src/media/ffmpeg.js';
import { probeMedia } from '../../../src/media/ffprobe.js';
import { executeOutputPlan } from '../../../src/media/output-plan-runner.js';
import { planOutputs } from '../../../src/media/output-plan.js';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { makeClip, makeTempDir, runner, TOOLS } from './support/media-tools.js';

// Real: ffmpeg/ffprobe executing a plan made by the pure planner, on a clip generated here.

const signal = new AbortController().signal;
const ffmpeg = createFfmpeg({ runner, ffmpegPath: TOOLS.ffmpegPath, ffprobePath: TOOLS.ffprobePath });
let dir = '';
let cleanup = async (): Promise<void> => {};

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('plan'));
});
afterAll(async () => {
  await cleanup();
  expect(activeProcessCount()).toBe(0);
});

describe('executing an output plan (real ffmpeg)', () => {
  it('turns a 480p source into a 360p mp4, an m4a, a thumbnail and an HLS ladder', async () => {
    // yt-dlp names files by its guess; the probe decides what the file really is.
    const source = await makeClip(join(dir, 'media.unknown_video'), {
      seconds: 3,
      width: 854,
      height: 480,
      codecArgs: [
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-f',
        'mp4',
      ],
    });
    const probe = await probeMedia(source, { runner, ffprobePath: TOOLS.ffprobePath, signal });
    expect(probe.container.ext).toBe('mp4');
    const plan = planOutputs({
      sourcePath: source,
      probe,
      workDir: dir,
      format: { kind: 'video', quality: '360p', container: 'mp4' },
      outputs: ['file', 'audio', 'thumbnail', 'hls'],
      renditions: [
        { name: '360p', height: 360, videoKbps: 500, audioKbps: 96 },
        { name: '240p', height: 240, videoKbps: 250, audioKbps: 64 },
      ],
    });
    const fractions: number[] = [];
    const artifacts = await executeOutputPlan(plan, ffmpeg, {
      signal,
      onProgress: (p) => fractions.push(p.fraction),
    });

    expect(artifacts.map((a) => [a.role, a.ext, a.contentType])).toEqual([
      ['file', 'mp4', 'video/mp4'],
      ['audio', 'm4a', 'audio/mp4'],
      ['thumbnail', 'jpg', 'image/jpeg'],
      ['hls', 'm3u8', 'application/vnd.apple.mpegurl'],
    ]);
    expect(artifacts[0]?.probe?.streams.find((s) => s.type === 'video')?.height).toBe(360);
    expect(artifacts.every((a) => a.sizeBytes > 0)).toBe(true);
    expect(artifacts[3]?.files).toContain('360p/index.m3u8');
    expect(fractions.at(-1)).toBe(1);
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
  });
});
