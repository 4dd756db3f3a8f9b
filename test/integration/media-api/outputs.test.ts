// Real parts: the HTTP app on a loopback port with in-process workers, SQLite, local managed
// storage, yt-dlp, ffmpeg and ffprobe, and the loopback media server with ffmpeg-made fixtures.
// Every stored file is read back through its presigned URL and probed by the test's own ffprobe.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { ffprobe, filesUnder, httpGet, watchImport, type ResultFile } from './media-api-support.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe('media formats and outputs through POST /v1/imports (SQLite, managed storage)', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let t: TestApp;

  beforeAll(async () => {
    const [sqlite] = testDatabases();
    media = await startMediaServer(fixtures);
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl() });
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
    expect(activeProcessCount()).toBe(0);
  });

  async function importAndWait(body: Record<string, unknown>) {
    const created = await t.request('POST', '/v1/imports', { key: t.adminKey, body });
    expect(created.status).toBe(202);
    const { final, seen } = await watchImport(t, t.adminKey, created.body.id);
    expect(final.error).toBeNull();
    expect(final.status).toBe('completed');
    // The overall percentage never goes backwards, across download, processing and upload.
    const percents = seen.map((s) => s.percent).filter((p): p is number => p !== null);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    return { final, seen };
  }

  async function download(file: {
    presignedUrl: string;
    sha256: string;
    contentType: string;
  }): Promise<Buffer> {
    const response = await httpGet(file.presignedUrl);
    expect(response.status).toBe(200);
    expect(response.contentType).toBe(file.contentType);
    const bytes = response.body;
    expect(sha256(bytes)).toBe(file.sha256);
    return bytes;
  }

  it('a <video> page as 240p video + audio + thumbnail: three probed files beside each other', async () => {
    const { final, seen } = await importAndWait({
      url: media.url('/page/video.html'),
      filename: 'clip',
      format: { kind: 'video', quality: '240p' },
      outputs: ['file', 'audio', 'thumbnail'],
    });
    expect(final.source.title).toBe('Loopback Test Clip');
    expect(final.source.duration).toBeCloseTo(4, 0);
    expect(final.result.files.map((f: ResultFile) => [f.role, f.key, f.contentType])).toEqual([
      ['file', 'clip.mp4', 'video/mp4'],
      ['audio', 'clip.m4a', 'audio/mp4'],
      ['thumbnail', 'clip.jpg', 'image/jpeg'],
    ]);
    const [file, audio, thumbnail] = final.result.files;
    for (const f of final.result.files) await download(f);

    const video = await ffprobe(file.presignedUrl);
    expect(video.videoHeights).toEqual([240]);
    expect(video.audioCodecs).toEqual(['aac']);
    expect(video.durationSeconds).toBeCloseTo(4, 0);
    const sound = await ffprobe(audio.presignedUrl);
    expect(sound.videoCodecs).toEqual([]);
    expect(sound.audioCodecs).toEqual(['aac']);
    expect(Math.abs(sound.durationSeconds - 4)).toBeLessThan(0.5);
    const image = await ffprobe(thumbnail.presignedUrl);
    expect(image.videoCodecs).toEqual(['mjpeg']);
    expect(image.videoHeights).toEqual([720]);

    // It went through ffmpeg: the processing phase was reported (when a poll landed in it), and the
    // phases never ran backwards.
    const order = ['fetching', 'processing', 'uploading', 'verifying'];
    const phases = seen.map((s) => s.phase).filter((p): p is string => p !== null && order.includes(p));
    expect(phases.map((p) => order.indexOf(p))).toEqual(
      phases.map((p) => order.indexOf(p)).sort((a, b) => a - b),
    );
    expect(filesUnder(`${t.dataDir}/work`)).toEqual([]);
  });

  it('an og:video page, as it is: the extension and type come from ffprobe', async () => {
    const { final } = await importAndWait({ url: media.url('/page/og.html') });
    expect(final.source.title).toBe('OG Test Clip');
    expect(final.result.files).toHaveLength(1);
    expect(final.result.files[0].key).toBe('OG Test Clip.mp4');
    expect(final.result.files[0].contentType).toBe('video/mp4');
    const bytes = await download(final.result.files[0]);
    expect(sha256(bytes)).toBe(fixtures.videoMp4.sha256);
  });

  it('an HLS master capped at 240p: yt-dlp picks the 240p rendition, delivered as mp4', async () => {
    const { final } = await importAndWait({
      url: media.url('/hls/master.m3u8'),
      filename: 'from-hls',
      format: { kind: 'video', quality: '240p' },
    });
    const [file] = final.result.files;
    expect(file.key).toBe('from-hls.mp4');
    expect(file.contentType).toBe('video/mp4');
    await download(file);
    const probe = await ffprobe(file.presignedUrl);
    expect(probe.videoHeights).toEqual([240]);
    expect(probe.audioCodecs).toEqual(['aac']);
    expect(Math.abs(probe.durationSeconds - 4)).toBeLessThan(0.5);
    // Only the 240p rendition's segments were fetched.
    expect(media.hits('/hls/240p/seg000.ts')).toBeGreaterThan(0);
    expect(media.hits('/hls/360p/seg000.ts')).toBe(0);
  });

  it('a DASH manifest: separate video and audio merged into one file with both streams', async () => {
    const { final } = await importAndWait({ url: media.url('/dash/manifest.mpd'), filename: 'from-dash' });
    const [file] = final.result.files;
    expect(file.key).toMatch(/^from-dash\.(mp4|mkv)$/);
    await download(file);
    const probe = await ffprobe(file.presignedUrl);
    expect(probe.videoHeights).toEqual([360]);
    expect(probe.audioCodecs).toEqual(['aac']);
    expect(Math.abs(probe.durationSeconds - 4)).toBeLessThan(0.5);
  });

  it('a direct audio file converted to m4a, and a direct webm remuxed to mkv (downloaded, then ffmpeg)', async () => {
    const { final: audio } = await importAndWait({
      url: media.url('/media/audio.mp3'),
      format: { kind: 'audio', container: 'm4a' },
    });
    expect(audio.source.extractor).toBe('direct');
    expect(audio.result.files.map((f: ResultFile) => [f.role, f.key, f.contentType])).toEqual([
      ['file', 'audio.m4a', 'audio/mp4'],
    ]);
    const sound = await ffprobe(audio.result.files[0].presignedUrl);
    expect(sound.audioCodecs).toEqual(['aac']);
    expect(Math.abs(sound.durationSeconds - 3)).toBeLessThan(0.5);

    const { final: mkv } = await importAndWait({
      url: media.url('/media/video.webm'),
      format: { kind: 'video', container: 'mkv' },
    });
    expect(mkv.result.files.map((f: ResultFile) => [f.key, f.contentType])).toEqual([
      ['video.mkv', 'video/x-matroska'],
    ]);
    const remuxed = await ffprobe(mkv.result.files[0].presignedUrl);
    expect(remuxed.formatName).toContain('matroska');
    expect(remuxed.videoCodecs).toEqual(['vp9']);
  });

  it('a direct audio file without options is stored as it is, with its duration', async () => {
    const { final } = await importAndWait({ url: media.url('/media/audio.mp3') });
    expect(final.result.files.map((f: ResultFile) => [f.key, f.contentType, f.sha256])).toEqual([
      ['audio.mp3', 'audio/mpeg', fixtures.audioMp3.sha256],
    ]);
    expect(final.source.duration).toBeCloseTo(3, 0);
  });

  it('ifExists: rename moves the whole set to one free base name', async () => {
    const body = {
      url: media.url('/media/video.mp4'),
      filename: 'set',
      outputs: ['file', 'thumbnail'],
      ifExists: 'rename',
    };
    const { final: first } = await importAndWait(body);
    const { final: second } = await importAndWait(body);
    expect(first.result.files.map((f: ResultFile) => f.key)).toEqual(['set.mp4', 'set.jpg']);
    expect(second.result.files.map((f: ResultFile) => f.key)).toEqual(['set (1).mp4', 'set (1).jpg']);
  });
});
