import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';

// Real: the node:http media server on 127.0.0.1 and the fixture files; clients are Node's fetch
// and node:http (for byte-exact views of broken responses).

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection dropped before the promised Content-Length arrived. */
  complete: boolean;
}

function rawGet(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => {}); // 'aborted' surfaces as complete === false below.
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('rawGet timed out')));
    req.on('error', reject);
    req.end();
  });
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('media server (real HTTP on loopback)', () => {
  const fixtures = inject('fixtures');
  const video = fs.readFileSync(fixtures.videoMp4.path);
  let server: MediaServer;

  beforeAll(async () => {
    server = await startMediaServer(fixtures);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.resetHits();
    server.resetFlaky();
  });

  describe('static files', () => {
    it('serves a fixture whole with type, length, validators and Accept-Ranges', async () => {
      const res = await fetch(server.url('/media/video.mp4'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(res.headers.get('content-length')).toBe(String(fixtures.videoMp4.size));
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+"$/);
      expect(new Date(res.headers.get('last-modified') ?? '').getTime()).not.toBeNaN();
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(fixtures.videoMp4.sha256);
    });

    it('answers ranges with 206 and the exact bytes', async () => {
      const size = fixtures.videoMp4.size;
      const cases: Array<[string, number, number]> = [
        ['bytes=100-199', 100, 199],
        ['bytes=1000-', 1000, size - 1],
        ['bytes=-500', size - 500, size - 1],
        [`bytes=10-${size + 1000}`, 10, size - 1],
      ];
      for (const [range, start, end] of cases) {
        const res = await fetch(server.url('/media/video.mp4'), { headers: { Range: range } });
        expect(res.status, range).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
        expect(res.headers.get('content-length')).toBe(String(end - start + 1));
        expect(Buffer.from(await res.arrayBuffer()).equals(video.subarray(start, end + 1)), range).toBe(true);
      }
    });

    it('answers an unsatisfiable range with 416 and ignores a stale If-Range', async () => {
      const size = fixtures.videoMp4.size;
      const bad = await fetch(server.url('/media/video.mp4'), { headers: { Range: `bytes=${size}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${size}`);
      await bad.arrayBuffer();
      const stale = await fetch(server.url('/media/video.mp4'), {
        headers: { Range: 'bytes=0-9', 'If-Range': '"not-the-etag"' },
      });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(size);
    });

    it('answers HEAD with headers only and If-None-Match with 304', async () => {
      const head = await rawGet(server.url('/big.bin'), {}, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('application/octet-stream');
      expect(head.headers['content-length']).toBe(String(fixtures.bigBin.size));
      expect(head.body.length).toBe(0);
      const etag = head.headers.etag ?? '';
      const cached = await fetch(server.url('/big.bin'), { headers: { 'If-None-Match': etag } });
      expect(cached.status).toBe(304);
    });

    it('serves the big file with ranges', async () => {
      const res = await fetch(server.url('/big.bin'), { headers: { Range: 'bytes=-16' } });
      expect(res.status).toBe(206);
      const tail = Buffer.alloc(16);
      const fd = fs.openSync(fixtures.bigBin.path, 'r');
      fs.readSync(fd, tail, 0, 16, fixtures.bigBin.size - 16);
      fs.closeSync(fd);
      expect(Buffer.from(await res.arrayBuffer()).equals(tail)).toBe(true);
    });

    it.each([
      ['/media/video.webm', 'video/webm'],
      ['/media/audio.mp3', 'audio/mpeg'],
      ['/media/audio.m4a', 'audio/mp4'],
      ['/hls/master.m3u8', 'application/vnd.apple.mpegurl'],
      ['/hls/360p/index.m3u8', 'application/vnd.apple.mpegurl'],
      ['/hls/240p/seg000.ts', 'video/mp2t'],
      ['/dash/manifest.mpd', 'application/dash+xml'],
      ['/dash/init-0.m4s', 'video/mp4'],
      ['/dash/chunk-0-00001.m4s', 'video/iso.segment'],
      ['/noext', 'video/mp4'],
      ['/text/plain.txt', 'text/plain; charset=utf-8'],
    ])('%s is %s', async (path, type) => {
      const res = await fetch(server.url(path));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      await res.arrayBuffer();
    });

    it('names the attachment in Content-Disposition', async () => {
      const res = await fetch(server.url('/attachment'));
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="My Clip.mp4"');
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(fixtures.videoMp4.sha256);
    });

    it('answers unknown paths and traversal attempts with 404', async () => {
      for (const path of [
        '/media/nope.mp4',
        '/hls/../../package.json',
        '/media/..%2Fmanifest.json',
        '/nope',
      ]) {
        const res = await fetch(server.url(path));
        expect(res.status, path).toBe(404);
        await res.arrayBuffer();
      }
    });
  });

  describe('pages', () => {
    it('embeds one <video> in video.html', async () => {
      const html = await (await fetch(server.url('/page/video.html'))).text();
      expect(html).toContain('<title>Loopback Test Clip</title>');
      expect(html.match(/<video /g)).toHaveLength(1);
      expect(html).toContain('src="/media/video.mp4"');
    });

    it('announces an absolute og:video on og.html', async () => {
      const html = await (await fetch(server.url('/page/og.html'))).text();
      expect(html).toContain('<title>OG Test Clip</title>');
      expect(html).toContain(`<meta property="og:video" content="${server.url('/media/video.mp4')}">`);
    });

    it('embeds three clips in three.html and none in empty.html', async () => {
      const three = await (await fetch(server.url('/page/three.html'))).text();
      expect(three).toContain('<title>Three Clips</title>');
      expect([...three.matchAll(/<video src="([^"]+)"/g)].map((m) => m[1])).toEqual([
        '/media/video.mp4',
        '/media/video.webm',
        '/media/video.mp4?copy=3',
      ]);
      const empty = await fetch(server.url('/page/empty.html'));
      expect(empty.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await empty.text()).not.toMatch(/<video|<audio|og:video/);
    });
  });

  describe('misbehaving routes', () => {
    it('answers /status/404 and /status/500', async () => {
      expect((await fetch(server.url('/status/404'))).status).toBe(404);
      expect((await fetch(server.url('/status/500'))).status).toBe(500);
    });

    it('/bad/short.mp4 promises the full length, ignores Range and stops at half', async () => {
      const res = await rawGet(server.url('/bad/short.mp4'), { Range: 'bytes=100-' });
      expect(res.status).toBe(200);
      expect(res.headers['accept-ranges']).toBe('none');
      expect(res.headers['content-length']).toBe(String(fixtures.videoMp4.size));
      expect(res.complete).toBe(false);
      expect(res.body.length).toBeGreaterThan(0);
      expect(res.body.length).toBeLessThanOrEqual(Math.floor(fixtures.videoMp4.size / 2));
      expect(res.body.equals(video.subarray(0, res.body.length))).toBe(true);
      await expect(fetch(server.url('/bad/short.mp4')).then((r) => r.arrayBuffer())).rejects.toThrow();
    });

    it('/bad/reset-once.mp4 breaks the first GET at ~40% and then resumes with a correct 206', async () => {
      const head = await rawGet(server.url('/bad/reset-once.mp4'), {}, 'HEAD');
      expect(head.headers['accept-ranges']).toBe('bytes');
      const first = await rawGet(server.url('/bad/reset-once.mp4'));
      expect(first.complete).toBe(false);
      expect(first.body.length).toBeGreaterThan(0);
      expect(first.body.length).toBeLessThanOrEqual(Math.floor(fixtures.videoMp4.size * 0.4));
      const rest = await rawGet(server.url('/bad/reset-once.mp4'), { Range: `bytes=${first.body.length}-` });
      expect(rest.status).toBe(206);
      expect(rest.complete).toBe(true);
      expect(sha256(Buffer.concat([first.body, rest.body]))).toBe(fixtures.videoMp4.sha256);
      const third = await rawGet(server.url('/bad/reset-once.mp4'));
      expect(third.complete && third.body.length === fixtures.videoMp4.size).toBe(true);
      expect(server.hits('/bad/reset-once.mp4')).toBe(4);

      server.resetFlaky();
      expect((await rawGet(server.url('/bad/reset-once.mp4'))).complete).toBe(false);
    });

    it('/bad/slow.mp4 trickles the whole file and stops when the client aborts', async () => {
      const started = performance.now();
      const whole = await rawGet(server.url('/bad/slow.mp4'));
      expect(whole.complete).toBe(true);
      expect(sha256(whole.body)).toBe(fixtures.videoMp4.sha256);
      const chunks = Math.ceil(fixtures.videoMp4.size / (16 * 1024));
      expect(performance.now() - started).toBeGreaterThanOrEqual((chunks - 2) * 100);

      const abort = new AbortController();
      const res = await fetch(server.url('/bad/slow.mp4'), { signal: abort.signal });
      const reader = res.body?.getReader();
      const firstChunk = await reader?.read();
      expect(firstChunk?.value?.length).toBeGreaterThan(0);
      abort.abort();
      await expect(reader?.read()).rejects.toThrow();
    });

    it('/bad/hang never answers, and close() still finishes promptly', async () => {
      const own = await startMediaServer(fixtures);
      await expect(fetch(own.url('/bad/hang'), { signal: AbortSignal.timeout(300) })).rejects.toThrow(
        /abort|timeout/i,
      );
      const pending = rawGet(own.url('/bad/hang'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(own.hits('/bad/hang')).toBe(2);
      const started = performance.now();
      await own.close();
      expect(performance.now() - started).toBeLessThan(1000);
      await expect(pending).rejects.toThrow();
    });

    it('/redirect/<n> redirects n times, then to `to`', async () => {
      const to = '/media/audio.mp3';
      const hop = await fetch(server.url(`/redirect/3?to=${encodeURIComponent(to)}`), { redirect: 'manual' });
      expect(hop.status).toBe(302);
      expect(hop.headers.get('location')).toBe(`/redirect/2?to=${encodeURIComponent(to)}`);

      const followed = await fetch(server.url(`/redirect/3?to=${encodeURIComponent(to)}`));
      expect(followed.status).toBe(200);
      expect(followed.url).toBe(server.url(to));
      expect(followed.headers.get('content-type')).toBe('audio/mpeg');
      await followed.arrayBuffer();
      expect(['/redirect/3', '/redirect/2', '/redirect/1', to].map((p) => server.hits(p))).toEqual([
        2, 1, 1, 1,
      ]);

      const offsite = await fetch(server.url('/redirect/1?to=//example.invalid/'), { redirect: 'manual' });
      expect(offsite.status).toBe(400);
    });
  });

  it('counts every request per path, with and without the query', async () => {
    for (const path of ['/media/video.mp4?copy=3', '/media/video.mp4', '/status/404']) {
      await (await fetch(server.url(path), { method: 'HEAD' })).arrayBuffer();
    }
    expect(server.hits('/media/video.mp4')).toBe(2);
    expect(server.hits('/media/video.mp4?copy=3')).toBe(1);
    expect(server.hits('/status/404')).toBe(1);
    server.resetHits();
    expect(server.hits('/media/video.mp4')).toBe(0);
  });
});
