// Real parts: the HTTP app on a loopback port (twice: without and with BUCKETLOAD_CORS_ORIGINS),
// SQLite, local managed storage on disk, in-process workers, ffprobe, the loopback media server.
// CORS origins are only header values here: no request goes to them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';
import { rawRequest, type RawResponse } from './security-support.js';

const [sqlite] = testDatabases();
const APP_ORIGIN = 'https://app.example.com';

function expectSecurityHeaders(res: RawResponse, what: string, path: string): void {
  const h = res.headers;
  expect(h['x-content-type-options'], what).toBe('nosniff');
  expect(h['x-frame-options'], what).toBe('DENY');
  expect(h['referrer-policy'], what).toBe('no-referrer');
  expect(h['cross-origin-opener-policy'], what).toBe('same-origin');
  expect(h['cross-origin-resource-policy'], what).toBe('same-origin');
  expect(h['permissions-policy'], what).toContain('camera=()');
  expect(h['content-security-policy'], what).toContain("default-src 'none'");
  expect(h['content-security-policy'], what).toContain("frame-ancestors 'none'");
  expect(h['x-powered-by'], what).toBeUndefined();
  if (path.startsWith('/v1/')) expect(h['cache-control'], what).toBe('no-store');
}

describe('security headers and CORS off (SQLite)', () => {
  let t: TestApp;
  let media: MediaServer;
  let importId: string;
  let fileId: string;
  let link: URL;

  beforeAll(async () => {
    media = await startMediaServer(inject('fixtures'));
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl() });
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/audio.mp3') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    importId = done.id;
    fileId = done.result.files[0].id;
    link = new URL(done.result.files[0].presignedUrl);
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('sets them on API answers, errors, 404s, redirects and file downloads', async () => {
    const admin = t.adminKey;
    const cases: Array<
      [string, string, string, { key?: string; body?: unknown; headers?: Record<string, string> }, number]
    > = [
      ['health', 'GET', '/healthz', {}, 200],
      ['readiness', 'GET', '/readyz', {}, 200],
      ['API docs', 'GET', '/openapi.json', {}, 200],
      ['an import', 'GET', `/v1/imports/${importId}`, { key: admin }, 200],
      ['a list', 'GET', '/v1/imports', { key: admin }, 200],
      ['created', 'POST', '/v1/keys', { key: admin, body: { name: 'h' } }, 201],
      ['no key', 'GET', '/v1/imports', {}, 401],
      ['validation error', 'POST', '/v1/imports', { key: admin, body: { url: 5 } }, 400],
      ['malformed JSON', 'POST', '/v1/imports', { key: admin, body: '{' }, 400],
      ['too large', 'POST', '/v1/imports', { key: admin, body: { url: 'x'.repeat(300 * 1024) } }, 413],
      [
        'wrong content type',
        'POST',
        '/v1/imports',
        { key: admin, body: 'url', headers: { 'content-type': 'text/plain' } },
        415,
      ],
      ['unknown import', 'GET', '/v1/imports/imp_00000000000000000000000000', { key: admin }, 404],
      ['unknown route', 'GET', '/nothing/here', {}, 404],
      ['unknown /v1 route', 'GET', '/v1/nothing', { key: admin }, 404],
      ['malformed URL', 'GET', '/v1/imports/%ZZ', { key: admin }, 400],
      ['control character in URL', 'GET', '/v1/imports/%00', { key: admin }, 400],
      ['file redirect', 'GET', `/v1/imports/${importId}/files/${fileId}`, { key: admin }, 302],
      ['file download', 'GET', `${link.pathname}${link.search}`, {}, 200],
      ['ranged download', 'GET', `${link.pathname}${link.search}`, { headers: { range: 'bytes=0-9' } }, 206],
      [
        'unsatisfiable range',
        'GET',
        `${link.pathname}${link.search}`,
        { headers: { range: 'bytes=999999999-' } },
        416,
      ],
      ['tampered link', 'GET', `${link.pathname}x${link.search}`, {}, 403],
      [
        'preflight without CORS',
        'OPTIONS',
        '/v1/imports',
        { headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' } },
        404,
      ],
    ];
    for (const [what, method, path, opts, status] of cases) {
      const res = await rawRequest(t.baseUrl, { method, path, ...opts });
      expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(status);
      expectSecurityHeaders(res, what, path);
      if (!path.startsWith('/files/')) expect(res.headers['x-request-id'], what).toBeTruthy();
      // CORS is off: no origin is ever granted anything.
      expect(res.headers['access-control-allow-origin'], what).toBeUndefined();
      expect(res.headers['access-control-allow-methods'], what).toBeUndefined();
    }
  });

  it('grants no CORS to any origin, on simple requests and preflights', async () => {
    const simple = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: '/v1/imports',
      key: t.adminKey,
      headers: { origin: APP_ORIGIN },
    });
    expect(simple.status).toBe(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await rawRequest(t.baseUrl, {
      method: 'OPTIONS',
      path: `/v1/imports/${importId}`,
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-headers']).toBeUndefined();
  });
});

describe('CORS for listed origins (SQLite)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      workers: 0,
      env: { BUCKETLOAD_CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const preflight = (origin: string, path = '/v1/imports', method = 'POST') =>
    rawRequest(t.baseUrl, {
      method: 'OPTIONS',
      path,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });

  it('answers a preflight from a listed origin with 204, without a key', async () => {
    for (const [origin, path, method] of [
      [APP_ORIGIN, '/v1/imports', 'POST'],
      ['http://localhost:5173', '/v1/imports/imp_00000000000000000000000000/cancel', 'POST'],
      [APP_ORIGIN, '/v1/destinations/main', 'PATCH'],
      [APP_ORIGIN, '/v1/keys/key_00000000000000000000000000', 'DELETE'],
    ] as const) {
      const res = await preflight(origin, path, method);
      expect(res.status, `${origin} ${method} ${path}`).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-methods']).toContain(method);
      expect(res.headers['access-control-allow-headers']).toContain('authorization');
      expect(res.headers['access-control-allow-headers']).toContain('idempotency-key');
      expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['vary']).toContain('Origin');
      expectSecurityHeaders(res, 'preflight', path);
    }
  });

  it('refuses a preflight from any other origin (no CORS fields at all)', async () => {
    for (const origin of [
      'https://evil.example.net',
      `${APP_ORIGIN}.evil.example.net`,
      'http://app.example.com',
      'null',
      'https://localhost:5173',
    ]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(404);
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(res.headers['access-control-allow-methods'], origin).toBeUndefined();
    }
  });

  it('grants listed origins read access to answers and the rate-limit fields; others get nothing', async () => {
    const listed = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: '/v1/imports',
      key: t.adminKey,
      headers: { origin: APP_ORIGIN },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(listed.headers['access-control-expose-headers']).toContain('ratelimit-remaining');
    expect(listed.headers['access-control-expose-headers']).toContain('retry-after');
    expect(listed.headers['vary']).toContain('Origin');
    const error = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: '/v1/imports',
      headers: { origin: APP_ORIGIN },
    });
    expect(error.status).toBe(401);
    expect(error.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    const other = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: '/v1/imports',
      key: t.adminKey,
      headers: { origin: 'https://evil.example.net' },
    });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-expose-headers']).toBeUndefined();
  });
});
