// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, local managed storage on disk,
// the shared s3rver, in-process workers, and node:http origins on loopback that count the bytes they
// send.
//
// The limits that keep one caller from exhausting the service: requests per key (RateLimit-* and
// 429), failed authentications per address, body size, active imports per user, URL length,
// playlist size, and the file size, enforced while streaming.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';
import { listFiles, rowCounts } from './security-support.js';

const [sqlite] = testDatabases();

describe('per-key rate limit and failed-authentication limit (SQLite; the limiter keeps no database state)', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      workers: 0,
      env: { BUCKETLOAD_RATE_LIMIT_PER_MINUTE: '5', BUCKETLOAD_AUTH_FAILURES_PER_MINUTE: '3' },
    });
    alice = await t.userKey('alice');
    bob = await t.userKey('bob');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts down RateLimit-Remaining, then answers 429 RATE_LIMITED with Retry-After', async () => {
    for (let i = 0; i < 5; i += 1) {
      const res = await t.request('GET', '/v1/imports', { key: alice });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(4 - i));
      const reset = Number(res.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      expect(res.headers.get('ratelimit-policy')).toBe('5;w=60');
    }
    const before = await rowCounts(t);
    const limited = await t.request('POST', '/v1/imports', {
      key: alice,
      body: { url: 'https://media.example.com/a.mp4' },
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.body.error.hint).toContain('Retry-After');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await rowCounts(t)).toEqual(before);
    // The compat adapters sit behind the same limit, in their own error shape.
    const importly = await t.request('GET', '/import/status?id=imp_00000000000000000000000000', {
      key: alice,
    });
    expect(importly.status).toBe(429);
    expect(importly.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
    expect(importly.headers.get('retry-after')).not.toBeNull();
  });

  it('keeps one quota per key: another user is not affected', async () => {
    const res = await t.request('GET', '/v1/imports', { key: bob });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('does not count or label unauthenticated requests per key; public routes carry no quota', async () => {
    const health = await t.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers.get('ratelimit-limit')).toBeNull();
    const missing = await t.request('GET', '/v1/imports');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('ratelimit-limit')).toBeNull();
  });

  it('turns repeated failed authentications from one address into 429, without locking out valid keys', async () => {
    // The limit is 3 failures per minute per address; the previous test spent one (or none, had a
    // minute passed since), so the 429 comes at the third or fourth wrong key.
    const wrong = `bl_${'x'.repeat(43)}`;
    const statuses: number[] = [];
    let limited = await t.request('GET', '/v1/imports', { key: wrong });
    while (limited.status === 401 && statuses.length < 4) {
      statuses.push(limited.status);
      limited = await t.request('GET', '/v1/imports', { key: wrong });
    }
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses.length).toBeLessThanOrEqual(3);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/v1/imports')).status).toBe(429);
    // A scanner behind the same proxy or NAT cannot lock real users out.
    const carol = await t.userKey('carol');
    const ok = await t.request('GET', '/v1/imports', { key: carol });
    expect(ok.status).toBe(200);
  });
});

describe.each(testDatabases())('request limits on $name', ({ makeUrl }) => {
  let t: TestApp;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestApp({
      databaseUrl: await makeUrl(),
      workers: 0,
      env: { BUCKETLOAD_MAX_ACTIVE_JOBS_PER_USER: '2' },
    });
    alice = await t.userKey('alice');
    bob = await t.userKey('bob');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a body over 256 KiB with 413 BODY_TOO_LARGE and writes nothing', async () => {
    const before = await rowCounts(t);
    const body = JSON.stringify({
      url: 'https://media.example.com/a.mp4',
      metadata: { a: 'x'.repeat(256 * 1024) },
    });
    const res = await t.request('POST', '/v1/imports', { key: alice, body });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('BODY_TOO_LARGE');
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses a URL over 4096 characters (field url) and a playlist over 1000 items (field maxItems)', async () => {
    const base = 'https://media.example.com/';
    const longest = `${base}${'a'.repeat(4096 - base.length)}`;
    const tooLong = await t.request('POST', '/v1/imports', { key: bob, body: { url: `${longest}a` } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'url' });
    const items = await t.request('POST', '/v1/imports', {
      key: bob,
      body: { url: `${base}list`, playlist: true, maxItems: 1001 },
    });
    expect(items.status).toBe(400);
    expect(items.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'maxItems' });
    // The limits themselves are accepted.
    const atLimit = await t.request('POST', '/v1/imports', {
      key: bob,
      body: { url: longest, playlist: true, maxItems: 1000 },
    });
    expect(atLimit.status).toBe(202);
    await t.request('POST', `/v1/imports/${atLimit.body.id}/cancel`, { key: bob });
  });

  it('refuses a third active import with 429 TOO_MANY_ACTIVE_JOBS; other users and finished imports do not count', async () => {
    const url = 'https://media.example.com/a.mp4';
    const first = await t.request('POST', '/v1/imports', { key: alice, body: { url } });
    const second = await t.request('POST', '/v1/imports', { key: alice, body: { url } });
    expect([first.status, second.status]).toEqual([202, 202]);
    const before = await rowCounts(t);
    const third = await t.request('POST', '/v1/imports', { key: alice, body: { url } });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('TOO_MANY_ACTIVE_JOBS');
    expect(third.body.error.details).toEqual({ limit: 2 });
    expect(await rowCounts(t)).toEqual(before);
    // Through a compat adapter too.
    const tornado = await t.request('POST', '/jobs', { headers: { 'x-api-key': alice }, body: { url } });
    expect(tornado.status).toBe(429);
    expect(typeof tornado.body.error).toBe('string');
    // bob has his own allowance.
    expect((await t.request('POST', '/v1/imports', { key: bob, body: { url } })).status).toBe(202);
    // A canceled import frees its slot.
    expect((await t.request('POST', `/v1/imports/${first.body.id}/cancel`, { key: alice })).status).toBe(200);
    expect((await t.request('POST', '/v1/imports', { key: alice, body: { url } })).status).toBe(202);
  });
});

interface CountingOrigin {
  readonly url: (path: string) => string;
  /** Body bytes handed to the socket, per path. */
  sent(path: string): number;
  close(): Promise<void>;
}

/** Serves `size` bytes at `/sized.bin` (with Content-Length) and `/chunked.bin` (without), counting what it sends. */
async function startCountingOrigin(size: number): Promise<CountingOrigin> {
  const sent = new Map<string, number>();
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
    if (path === '/sized.bin') headers['content-length'] = size;
    else if (path !== '/chunked.bin') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, headers);
    let written = 0;
    const pump = (): void => {
      while (written < size && !res.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - written));
        written += piece.length;
        const ok = res.write(piece, (err) => {
          if (!err) sent.set(path, (sent.get(path) ?? 0) + piece.length);
        });
        if (!ok) return void res.once('drain', pump);
      }
      if (written >= size) res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    sent: (path) => sent.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('maximum file size, enforced while streaming (SQLite)', () => {
  const SIZE = 64 * 1024 * 1024;
  const MAX = 1024 * 1024;
  let t: TestApp;
  let origin: CountingOrigin;
  let s3rver: S3TestServer;
  let bucket: string;

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    [origin, bucket] = await Promise.all([startCountingOrigin(SIZE), s3rver.createBucket()]);
    t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      workers: 2,
      env: { BUCKETLOAD_MAX_FILE_BYTES: String(MAX) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([origin?.close(), s3rver?.stop()]);
  });

  const s3Destination = () => ({
    provider: 'minio',
    endpoint: s3rver.endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: s3rver.accessKeyId,
    secretAccessKey: s3rver.secretAccessKey,
    forcePathStyle: true,
  });

  it.each([
    ['announced by Content-Length, into managed storage', '/sized.bin', 'managed'],
    ['without Content-Length, into managed storage', '/chunked.bin', 'managed'],
    ['without Content-Length, into an S3 bucket', '/chunked.bin', 's3'],
  ] as const)(
    'a file over the limit %s fails FILE_TOO_LARGE at once, early, and stores nothing',
    async (_what, path, where) => {
      const sentBefore = origin.sent(path);
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: {
          url: origin.url(path),
          filename: 'too-big',
          ...(where === 's3' ? { destination: s3Destination() } : { destination: 'managed' }),
        },
      });
      expect(created.status).toBe(202);
      const done = await waitForImport(t, t.adminKey, created.body.id);
      expect(done.status).toBe('failed');
      expect(done.error.code).toBe('FILE_TOO_LARGE');
      expect(done.attempts).toBe(1);
      // The download stopped early: far fewer bytes left the origin than the file has (what is in
      // flight in socket buffers when the connection is dropped is all that gets through).
      const sent = origin.sent(path) - sentBefore;
      expect(sent).toBeLessThan(SIZE / 4);
      expect(listFiles(`${t.dataDir}/objects`)).toEqual([]);
      expect(await s3rver.listObjects(bucket)).toEqual([]);
    },
  );
});
