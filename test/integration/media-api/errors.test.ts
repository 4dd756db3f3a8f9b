// Real parts: the HTTP app on a loopback port with in-process workers, SQLite, local managed
// storage, yt-dlp, ffmpeg, ffprobe, the egress policy and its proxy, the loopback media server and
// a second loopback origin made here. One stand-in: for "private video", yt-dlp is wrapped by a
// shell script that prints YouTube's message for one page and runs the real yt-dlp otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { tempDir, testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { filesUnder, page, startLoopbackSite, watchImport, type LoopbackSite } from './media-api-support.js';

const [sqlite] = testDatabases();

describe('typed media errors with hints in the import (SQLite)', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let site: LoopbackSite;
  let t: TestApp;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    site = await startLoopbackSite({
      '/private.html': page('Members Only', '<p>A private video would be here.</p>'),
      '/song.html': () =>
        page('Long Song', `<audio src="${media.url('/media/audio.mp3')}" controls></audio>`),
      '/broken.html': page('Broken Clip', '<video src="/garbage.mp4" controls></video>'),
      // Not media at all, whatever its type says: 64 KiB of a repeated text line.
      '/garbage.mp4': { type: 'video/mp4', body: Buffer.from('this is not an mp4 file\n'.repeat(2731)) },
    });
    const bin = await tempDir('ytdlp-stub-');
    const stub = path.join(bin, 'yt-dlp');
    fs.writeFileSync(
      stub,
      [
        '#!/bin/sh',
        'case "$*" in',
        '  *private.html*) echo "ERROR: [youtube] xyz: Private video. Sign in if you\'ve been granted access to this video" >&2; echo null; exit 1 ;;',
        'esac',
        'exec yt-dlp "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: {
        BUCKETLOAD_YTDLP_PATH: stub,
        // video.mp4 is 197 KB: too large; audio.mp3 is 24 KB and lasts 3 s: too long.
        BUCKETLOAD_MAX_FILE_BYTES: '100000',
        BUCKETLOAD_MAX_DURATION_SECONDS: '2',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), site?.close()]);
    expect(activeProcessCount()).toBe(0);
  });

  async function failure(body: Record<string, unknown>) {
    const created = await t.request('POST', '/v1/imports', { key: t.adminKey, body });
    expect(created.status).toBe(202);
    const { final } = await watchImport(t, t.adminKey, created.body.id);
    expect(final.status).toBe('failed');
    // Permanent: another attempt cannot help, so there was only one.
    expect(final.attempts).toBe(1);
    expect(final.error.hint).toEqual(expect.any(String));
    expect(final.error.hint.length).toBeGreaterThan(10);
    expect(final.result).toBeNull();
    expect(
      filesUnder(path.join(t.dataDir, 'objects')).filter((f) => !f.split('/').some((s) => s.startsWith('.'))),
    ).toEqual([]);
    expect(filesUnder(path.join(t.dataDir, 'work'))).toEqual([]);
    return final.error as { code: string; message: string; hint: string };
  }

  it('a page without media: NO_MEDIA_FOUND', async () => {
    const error = await failure({ url: media.url('/page/empty.html') });
    expect(error.code).toBe('NO_MEDIA_FOUND');
    expect(error.hint).toContain('manifest');
  });

  it('a text file asked to become audio: UNSUPPORTED_URL, nothing downloaded', async () => {
    const error = await failure({ url: media.url('/text/plain.txt'), format: { kind: 'audio' } });
    expect(error.code).toBe('UNSUPPORTED_URL');
    expect(error.message).toContain('text/plain');
  });

  it("yt-dlp's private-video message: MEDIA_UNAVAILABLE", async () => {
    const error = await failure({ url: site.url('/private.html') });
    expect(error.code).toBe('MEDIA_UNAVAILABLE');
    expect(error.message).toContain('Private video');
  });

  it('over BUCKETLOAD_MAX_FILE_BYTES while yt-dlp downloads: FILE_TOO_LARGE', async () => {
    const error = await failure({ url: media.url('/page/video.html') });
    expect(error.code).toBe('FILE_TOO_LARGE');
    expect(error.hint).toContain('BUCKETLOAD_MAX_FILE_BYTES');
  });

  it('over BUCKETLOAD_MAX_DURATION_SECONDS, from a page and as a direct file: MEDIA_TOO_LONG', async () => {
    const fromPage = await failure({ url: site.url('/song.html'), format: { kind: 'audio' } });
    expect(fromPage.code).toBe('MEDIA_TOO_LONG');
    expect(fromPage.hint).toContain('BUCKETLOAD_MAX_DURATION_SECONDS');
    const direct = await failure({ url: media.url('/media/audio.mp3') });
    expect(direct.code).toBe('MEDIA_TOO_LONG');
  });

  it('a "video" that is not media: CORRUPT_MEDIA, probed before anything is uploaded', async () => {
    const error = await failure({ url: site.url('/broken.html'), outputs: ['file', 'thumbnail'] });
    expect(error.code).toBe('CORRUPT_MEDIA');
    expect(site.hits('/garbage.mp4')).toBeGreaterThan(0);
  });
});

describe("yt-dlp's and ffmpeg's connections go through the egress proxy (SQLite)", () => {
  const fixtures = inject('fixtures');

  it('the page is allowed, the media it points at is not: EGRESS_DENIED and the media server gets no request', async () => {
    const media = await startMediaServer(fixtures);
    const site = await startLoopbackSite({
      '/far.html': page('Far Away Clip', `<video src="${media.url('/media/video.mp4')}" controls></video>`),
      // A master playlist whose rendition lives on the refused origin.
      '/far.m3u8': {
        type: 'application/vnd.apple.mpegurl',
        body: `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=426x240\n${media.url('/hls/240p/index.m3u8')}\n`,
      },
    });
    // Only the page's origin is allowed: the media server is an ordinary refused loopback port.
    const t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: { BUCKETLOAD_EGRESS_ALLOW: `127.0.0.1:${site.port}` },
    });
    try {
      for (const url of [site.url('/far.html'), site.url('/far.m3u8')]) {
        const created = await t.request('POST', '/v1/imports', {
          key: t.adminKey,
          body: { url, outputs: ['file', 'thumbnail'] },
        });
        const { final } = await watchImport(t, t.adminKey, created.body.id);
        expect(final.status).toBe('failed');
        expect(final.error.code).toBe('EGRESS_DENIED');
        expect(final.error.hint).toContain('BUCKETLOAD_EGRESS_ALLOW');
      }
      // The page and the manifest were read twice each: by the job's own fetch and by yt-dlp
      // through the proxy; nothing at all reached the refused origin.
      expect(site.hits('/far.html')).toBeGreaterThanOrEqual(2);
      expect(site.hits('/far.m3u8')).toBeGreaterThanOrEqual(2);
      expect(media.hits('/media/video.mp4')).toBe(0);
      expect(media.hits('/hls/240p/index.m3u8')).toBe(0);
      expect(filesUnder(path.join(t.dataDir, 'work'))).toEqual([]);
    } finally {
      await t.close();
      await Promise.all([media.close(), site.close()]);
    }
    expect(activeProcessCount()).toBe(0);
  });
});
