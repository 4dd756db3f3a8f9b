// Real parts: the HTTP app on loopback with local managed storage, SQLite, yt-dlp and ffmpeg
// making an HLS and a DASH ladder from the loopback media server's page, ffprobe reading them back
// through the returned links, as a player would.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';

const run = promisify(execFile);

describe('HLS and DASH in managed storage play through their links', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let t: TestApp;
  let done: any;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    const [sqlite] = testDatabases();
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl(), workers: 1 });
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/page/video.html'), outputs: ['hls', 'dash'], filename: 'ladder' },
    });
    done = await waitForImport(t, t.adminKey, created.body.id, 120_000);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('the master playlist link resolves its relative renditions and segments, and ffprobe reads the whole stream', async () => {
    expect(done.status).toBe('completed');
    const master = done.result.files.find(
      (f: { role: string; key: string }) => f.role === 'hls' && f.key.endsWith('master.m3u8'),
    );
    expect(master.presignedUrl).toContain('/streams/');
    const playlist = await (await fetch(master.presignedUrl)).text();
    const rendition = playlist.split('\n').find((line) => line.endsWith('.m3u8'));
    expect(rendition).toBeDefined();
    const renditionUrl = new URL(rendition!, master.presignedUrl).toString();
    const renditionRes = await fetch(renditionUrl);
    expect(renditionRes.status).toBe(200);
    const segment = (await renditionRes.text())
      .split('\n')
      .find((line) => line !== '' && !line.startsWith('#'));
    const segmentRes = await fetch(new URL(segment!, renditionUrl));
    expect(segmentRes.status).toBe(200);
    expect(segmentRes.headers.get('content-type')).toBe('video/mp2t');

    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      master.presignedUrl,
    ]);
    expect(Math.abs(Number(stdout.trim()) - 4)).toBeLessThan(0.5);
  });

  it('the DASH manifest link resolves its segments', async () => {
    const manifest = done.result.files.find((f: { role: string }) => f.role === 'dash');
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      manifest.presignedUrl,
    ]);
    expect(Math.abs(Number(stdout.trim()) - 4)).toBeLessThan(0.5);
  });

  it('a folder token opens nothing outside its folder, and nothing when edited', async () => {
    const master = done.result.files.find(
      (f: { role: string; key: string }) => f.role === 'hls' && f.key.endsWith('master.m3u8'),
    );
    const url = new URL(master.presignedUrl);
    const outside = new URL(url);
    outside.pathname = url.pathname.replace(/\/hls\/master\.m3u8$/, '/dash/manifest.mpd');
    expect((await fetch(outside)).status).toBe(403);
    const upward = `${url.origin}${url.pathname.replace(/master\.m3u8$/, '')}..%2F..%2Fladder.mp4`;
    expect((await fetch(upward)).status).toBeGreaterThanOrEqual(400);
    const parts = url.pathname.split('/');
    const token = parts[3]!;
    const [expires, depth, sig] = token.split('.');
    const shallower = [...parts];
    shallower[3] = `${expires}.${Number(depth) - 1}.${sig}`;
    expect((await fetch(`${url.origin}${shallower.join('/')}`)).status).toBe(403);
    const later = [...parts];
    later[3] = `${Number(expires) + 1000}.${depth}.${sig}`;
    expect((await fetch(`${url.origin}${later.join('/')}`)).status).toBe(403);
  });
});
