// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, local managed storage on
// disk, in-process workers, yt-dlp and ffprobe, and a loopback media server with ffmpeg fixtures.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, waitFor, waitForImport, type TestApp } from '../../support/test-app.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe.each(testDatabases())('imports end to end on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let t: TestApp;
  let databaseUrl: string;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    databaseUrl = await makeUrl();
    t = await startTestApp({ databaseUrl });
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('imports a direct mp4 into managed storage; the signed URL returns identical bytes', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/video.mp4') },
    });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('queued');
    expect(created.headers.get('location')).toBe(`/v1/imports/${created.body.id}`);
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    const [file] = done.result.files;
    expect(done.result.storage).toBe('managed');
    expect(file.key).toBe('video.mp4');
    expect(file.sizeBytes).toBe(fixtures.videoMp4.size);
    expect(file.sha256).toBe(fixtures.videoMp4.sha256);
    expect(file.contentType).toBe('video/mp4');
    expect(done.source.duration).toBeGreaterThan(3.5);
    expect(Date.parse(file.presignedUrlExpiresAt) - Date.now()).toBeGreaterThan(86_000_000);

    const download = await fetch(file.presignedUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect(download.headers.get('content-disposition')).toContain('video.mp4');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(sha256(bytes)).toBe(fixtures.videoMp4.sha256);

    const ranged = await fetch(file.presignedUrl, { headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${fixtures.videoMp4.size}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);

    const tampered = file.presignedUrl.replace('video.mp4?', 'other.mp4?');
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('imports a <video> page through yt-dlp into a file named after the page title', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/page/video.html') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    expect(done.source.title).toBe('Loopback Test Clip');
    expect(done.result.files[0].key).toBe('Loopback Test Clip.mp4');
    expect(done.result.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const download = await fetch(done.result.files[0].presignedUrl);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(done.result.files[0].sha256);
  });

  it('follows redirects and names the file from Content-Disposition', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/redirect/2?to=/attachment') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    expect(done.result.files[0].key).toBe('My Clip.mp4');
    expect(done.result.files[0].sha256).toBe(fixtures.videoMp4.sha256);
  });

  it('resumes a dropped connection with a Range request and keeps the SHA-256 intact', async () => {
    media.resetFlaky();
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/bad/reset-once.mp4'), filename: 'resumed' },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    expect(done.result.files[0].key).toBe('resumed.mp4');
    expect(done.result.files[0].sha256).toBe(fixtures.videoMp4.sha256);
    expect(media.hits('/bad/reset-once.mp4')).toBeGreaterThanOrEqual(2);
  });

  it('fails a truncated source with SOURCE_TRUNCATED and stores nothing', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/bad/short.mp4'), filename: 'truncated' },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('SOURCE_TRUNCATED');
    expect(listFiles(path.join(t.dataDir, 'objects')).filter((f) => f.includes('truncated'))).toEqual([]);
  });

  it('fails a 404 source at once without retrying', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/status/404') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('SOURCE_HTTP_ERROR');
    expect(done.attempts).toBe(1);
  });

  it('cancel during a download stops it, leaves no file, temp file or child process', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/bad/slow.mp4'), filename: 'slowfile' },
    });
    await waitFor(
      () => t.request('GET', `/v1/imports/${created.body.id}`, { key: t.adminKey }),
      (r) => r.body.progress.bytes > 0,
    );
    const canceled = await t.request('POST', `/v1/imports/${created.body.id}/cancel`, { key: t.adminKey });
    expect(canceled.status).toBe(200);
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('canceled');
    const files = listFiles(path.join(t.dataDir, 'objects'));
    expect(files.filter((f) => f.includes('slowfile') || f.endsWith('.part'))).toEqual([]);
    expect(activeProcessCount()).toBe(0);
    const again = await t.request('POST', `/v1/imports/${created.body.id}/cancel`, { key: t.adminKey });
    expect(again.status).toBe(200);
  });

  it('honours Idempotency-Key: same body → same job, other body → 409', async () => {
    const body = { url: media.url('/media/audio.mp3'), metadata: { a: '1' } };
    const headers = { 'idempotency-key': `idem-${Date.now()}` };
    const first = await t.request('POST', '/v1/imports', { key: t.adminKey, body, headers });
    const second = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { metadata: { a: '1' }, url: body.url },
      headers,
    });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const conflict = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/video.webm') },
      headers,
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    await waitForImport(t, t.adminKey, first.body.id);
  });

  it('answers 401 with a clear code for missing, unknown and revoked keys; x-api-key works', async () => {
    expect((await t.request('GET', '/v1/imports')).body.error.code).toBe('AUTH_MISSING');
    expect((await t.request('GET', '/v1/imports', { key: `bl_${'x'.repeat(43)}` })).body.error.code).toBe(
      'AUTH_INVALID',
    );
    const key = await t.userKey(`revokee${Date.now()}`);
    const viaHeader = await t.request('GET', '/v1/imports', { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
    const listed = await t.request('GET', '/v1/keys', { key });
    const own = listed.body.items[0];
    expect(own.prefix).toBe(key.slice(0, 9));
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await t.request('DELETE', `/v1/keys/${own.id}`, { key })).status).toBe(200);
    const revoked = await t.request('GET', '/v1/imports', { key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('AUTH_REVOKED');
  });

  it("hides another user's imports (404) and lists with status filter and cursor", async () => {
    const other = await t.userKey(`other${Date.now()}`);
    const mine = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/audio.m4a') },
    });
    expect((await t.request('GET', `/v1/imports/${mine.body.id}`, { key: other })).status).toBe(404);
    expect((await t.request('POST', `/v1/imports/${mine.body.id}/cancel`, { key: other })).status).toBe(404);
    expect((await t.request('GET', '/v1/imports', { key: other })).body.items).toEqual([]);
    await waitForImport(t, t.adminKey, mine.body.id);

    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const res = await t.request('GET', `/v1/imports?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, {
        key: t.adminKey,
      });
      expect(res.status).toBe(200);
      for (const item of res.body.items) seen.add(item.id);
      cursor = res.body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen.has(mine.body.id)).toBe(true);
    const failed = await t.request('GET', '/v1/imports?status=failed&limit=100', { key: t.adminKey });
    expect(failed.body.items.length).toBeGreaterThan(0);
    expect(failed.body.items.every((i: { status: string }) => i.status === 'failed')).toBe(true);
    expect((await t.request('GET', '/v1/imports?cursor=garbage', { key: t.adminKey })).body.error.code).toBe(
      'INVALID_CURSOR',
    );
  });

  it('keeps jobs and results across a restart of the server', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/video.webm') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    const { adminKey, dataDir } = t;
    await t.close();
    t = await startTestApp({ databaseUrl, dataDir });
    const after = await t.request('GET', `/v1/imports/${created.body.id}`, { key: adminKey });
    expect(after.status).toBe(200);
    expect(after.body.status).toBe('completed');
    expect(after.body.result.files[0].sha256).toBe(done.result.files[0].sha256);
    const download = await fetch(after.body.result.files[0].presignedUrl);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(fixtures.videoWebm.sha256);
  });
});

describe('the default egress policy', () => {
  const fixtures = inject('fixtures');
  it('refuses a loopback source unless allow-listed, and the source gets no request', async () => {
    const media = await startMediaServer(fixtures);
    const [sqlite] = testDatabases();
    const t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: { BUCKETLOAD_EGRESS_ALLOW: '' },
    });
    try {
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: media.url('/media/video.mp4') },
      });
      const done = await waitForImport(t, t.adminKey, created.body.id);
      expect(done.status).toBe('failed');
      expect(done.error.code).toBe('EGRESS_DENIED');
      expect(media.hits('/media/video.mp4')).toBe(0);
    } finally {
      await t.close();
      await media.close();
    }
  });
});

describe('playlists', () => {
  const fixtures = inject('fixtures');
  it('a page with three videos and playlist: true → a parent with three children, three objects in one folder', async () => {
    const media = await startMediaServer(fixtures);
    const [sqlite] = testDatabases();
    const t = await startTestApp({ databaseUrl: await sqlite!.makeUrl(), workers: 1 });
    try {
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: media.url('/page/three.html'), playlist: true },
      });
      expect(created.status).toBe(202);
      const parent = await waitForImport(t, t.adminKey, created.body.id, 90_000);
      expect(parent.status).toBe('completed');
      expect(parent.kind).toBe('playlist');
      expect(parent.result.children).toEqual({ total: 3, completed: 3, failed: 0 });
      const children = await t.request('GET', `/v1/imports?parentId=${created.body.id}&limit=10`, {
        key: t.adminKey,
      });
      expect(children.body.items).toHaveLength(3);
      const keys: string[] = [];
      for (const child of children.body.items) {
        const full = await t.request('GET', `/v1/imports/${child.id}`, { key: t.adminKey });
        expect(full.body.status).toBe('completed');
        keys.push(full.body.result.files[0].key);
      }
      expect(new Set(keys.map((k) => k.split('/')[0]))).toEqual(new Set(['Three Clips']));
      expect(new Set(keys).size).toBe(3);

      const single = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: media.url('/page/three.html') },
      });
      const one = await waitForImport(t, t.adminKey, single.body.id, 60_000);
      expect(one.status).toBe('completed');
      expect(one.kind).toBe('import');
      expect(one.result.files).toHaveLength(1);
    } finally {
      await t.close();
      await media.close();
    }
  });
});
