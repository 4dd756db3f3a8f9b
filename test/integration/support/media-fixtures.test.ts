import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { ensureMediaFixtures, MEDIA_FIXTURE_FACTS, sha256File } from '../../support/media-fixtures.js';

// Real: ffmpeg-generated files on disk, the real ffprobe.

const execFileP = promisify(execFile);

interface Probe {
  format: { duration?: string; format_name: string };
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
}

async function ffprobe(file: string): Promise<Probe> {
  const { stdout } = await execFileP(
    'ffprobe',
    ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file],
    { timeout: 30_000 },
  );
  return JSON.parse(stdout) as Probe;
}

function summary(probe: Probe) {
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const audio = probe.streams.find((s) => s.codec_type === 'audio');
  return {
    durationS: Number(probe.format.duration),
    videoCodec: video?.codec_name,
    audioCodec: audio?.codec_name,
    width: video?.width,
    height: video?.height,
  };
}

/** Top-level ISO BMFF box types, in file order. */
async function topLevelBoxes(file: string): Promise<string[]> {
  const data = await fsp.readFile(file);
  const boxes: string[] = [];
  for (let offset = 0; offset + 8 <= data.length;) {
    const size = data.readUInt32BE(offset);
    boxes.push(data.toString('latin1', offset + 4, offset + 8));
    if (size < 8) break; // 0 (to end) and 1 (64-bit) do not occur in these small files.
    offset += size;
  }
  return boxes;
}

describe('media fixtures (real ffmpeg output, probed by ffprobe)', () => {
  const fixtures = inject('fixtures');

  it.each([
    ['videoMp4', fixtures.videoMp4.path],
    ['videoMoovEndMp4', fixtures.videoMoovEndMp4.path],
    ['videoWebm', fixtures.videoWebm.path],
  ] as const)('%s has the expected codecs, size and duration', async (key, file) => {
    const facts = MEDIA_FIXTURE_FACTS[key];
    const got = summary(await ffprobe(file));
    expect(got).toMatchObject({
      videoCodec: facts.videoCodec,
      audioCodec: facts.audioCodec,
      width: facts.width,
      height: facts.height,
    });
    expect(got.durationS).toBeCloseTo(facts.durationS, 0);
  });

  it.each([
    ['audioMp3', fixtures.audioMp3.path],
    ['audioM4a', fixtures.audioM4a.path],
  ] as const)('%s is audio only', async (key, file) => {
    const got = summary(await ffprobe(file));
    expect(got.videoCodec).toBeUndefined();
    expect(got.audioCodec).toBe(MEDIA_FIXTURE_FACTS[key].audioCodec);
    expect(got.durationS).toBeCloseTo(MEDIA_FIXTURE_FACTS[key].durationS, 0);
  });

  it('puts moov before mdat only in the faststart mp4', async () => {
    const fast = await topLevelBoxes(fixtures.videoMp4.path);
    const late = await topLevelBoxes(fixtures.videoMoovEndMp4.path);
    expect(fast.indexOf('moov')).toBeLessThan(fast.indexOf('mdat'));
    expect(late.indexOf('moov')).toBeGreaterThan(late.indexOf('mdat'));
  });

  it('has an HLS master with 360p and 240p renditions of two 2 s segments', async () => {
    const master = await fsp.readFile(fixtures.hlsMaster.path, 'utf8');
    expect(master).toContain('RESOLUTION=640x360');
    expect(master).toContain('RESOLUTION=426x240');
    for (const rendition of MEDIA_FIXTURE_FACTS.hls.renditions) {
      const playlist = fixtures.all[`hls/${rendition}/index.m3u8`];
      expect(playlist, rendition).toBeDefined();
      const text = await fsp.readFile(playlist?.path ?? '', 'utf8');
      expect(text.match(/#EXTINF:2\.0+,/g)).toHaveLength(2);
      expect(text).toContain('#EXT-X-ENDLIST');
      expect(fixtures.all[`hls/${rendition}/seg001.ts`]).toBeDefined();
    }
    const got = summary(await ffprobe(fixtures.hlsMaster.path));
    expect(got.videoCodec).toBe('h264');
    expect(got.durationS).toBeCloseTo(4, 0);
  });

  it('has a 4 s DASH presentation with its segments', async () => {
    const mpd = await fsp.readFile(fixtures.dashManifest.path, 'utf8');
    expect(mpd).toContain('mediaPresentationDuration="PT4.0S"');
    expect(
      Object.keys(fixtures.all).filter((rel) => rel.startsWith('dash/') && rel.endsWith('.m4s')).length,
    ).toBeGreaterThanOrEqual(4);
    const got = summary(await ffprobe(fixtures.dashManifest.path));
    expect(got).toMatchObject({ videoCodec: 'h264', audioCodec: 'aac', width: 640, height: 360 });
    expect(got.durationS).toBeCloseTo(4, 0);
  });

  it('records the true size and sha256 of every file', async () => {
    for (const file of Object.values(fixtures.all)) {
      expect((await fsp.stat(file.path)).size, file.relPath).toBe(file.size);
    }
    expect(fixtures.bigBin.size).toBe(20 * 1024 * 1024);
    expect(await sha256File(fixtures.bigBin.path)).toBe(fixtures.bigBin.sha256);
    expect(await sha256File(fixtures.videoMp4.path)).toBe(fixtures.videoMp4.sha256);
  });

  it('reuses the cache instead of regenerating', async () => {
    const started = performance.now();
    const again = await ensureMediaFixtures();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(again.all).toEqual(fixtures.all);
  });
});
