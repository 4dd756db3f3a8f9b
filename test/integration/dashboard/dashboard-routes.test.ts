// Real parts: the dashboard's Fastify routes on a real app (inject), over a small built-like
// directory made here, and the app's own security-header hook; no browser (see test/e2e/).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../../src/dashboard/dashboard-csp.js';
import { dashboardRoutes } from '../../../src/dashboard/dashboard.routes.js';
import { registerErrorHandler } from '../../../src/http/error-handler.js';
import { registerSecurityHeaders } from '../../../src/http/security-headers.js';
import { tempDir } from '../../support/databases.js';

async function appFor(dir: string) {
  const app = Fastify();
  registerSecurityHeaders(app, { https: false });
  registerErrorHandler(app);
  await app.register(dashboardRoutes({ dir }));
  await app.ready();
  return app;
}

describe('dashboard routes', () => {
  let built: Awaited<ReturnType<typeof appFor>>;
  let empty: Awaited<ReturnType<typeof appFor>>;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

  beforeAll(async () => {
    const dir = await tempDir('dash-');
    await fsp.mkdir(path.join(dir, 'assets'));
    await fsp.writeFile(
      path.join(dir, 'index.html'),
      '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>',
    );
    await fsp.writeFile(path.join(dir, 'assets', 'index-abc123.js'), script);
    await fsp.writeFile(path.join(dir, 'assets', 'index-abc123.js.map'), '{}');
    await fsp.writeFile(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    built = await appFor(dir);
    empty = await appFor(await tempDir('dash-empty-'));
  });
  afterAll(async () => {
    await built?.close();
    await empty?.close();
  });

  it('serves the page at / with the dashboard CSP, revalidated on every load', async () => {
    const res = await built.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-frame-options']).toBe('DENY');
    const again = await built.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': String(res.headers['etag']) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('the CSP allows scripts, styles and API calls from this origin only, media from bucket hosts', () => {
    const directives = Object.fromEntries(
      DASHBOARD_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]),
    );
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['media-src']).toEqual(["'self'", 'http:', 'https:']);
    expect(DASHBOARD_CSP).not.toContain('unsafe');
  });

  it('serves hashed assets as immutable, gzipped when asked', async () => {
    const res = await built.inject({
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.rawPayload).toString()).toBe(script);
    const plain = await built.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
    expect((await built.inject({ method: 'GET', url: '/favicon.svg' })).headers['content-type']).toBe(
      'image/svg+xml',
    );
  });

  it('answers 404 for anything else, source maps and traversal included', async () => {
    for (const url of [
      '/assets/index-abc123.js.map',
      '/assets/nope.js',
      '/assets/../index.html',
      '/assets/%2e%2e/index.html',
    ]) {
      const res = await built.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });

  it('says how to build it when the dashboard was not built', async () => {
    const res = await empty.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
  });
});
