import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { DEFAULT_DASHBOARD_DIR, loadDashboardAssets, type DashboardAsset } from './dashboard-assets.js';
import { DASHBOARD_CSP } from './dashboard-csp.js';

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>bucketload</title>
<h1>The dashboard is not built</h1><p>Run <code>npm run build</code> (or <code>make serve</code>), then reload.
The API works without it: see <a href="/docs">/docs</a>.</p></html>`;

/**
 * The dashboard: static files built by Vite, served at `/` (the page) and `/assets/*` (hashed
 * scripts and styles), plus the few top-level files (favicon). Public routes: the page holds no
 * data; it asks for an API key and calls the API with it. Every response carries the dashboard's
 * own strict CSP (the API's is `default-src 'none'`). Hidden from the OpenAPI description.
 */
export function dashboardRoutes(options: { dir?: string } = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    const assets = loadDashboardAssets(options.dir ?? DEFAULT_DASHBOARD_DIR);

    const send = (request: FastifyRequest, reply: FastifyReply, asset: DashboardAsset) => {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('content-type', asset.contentType);
      reply.header('etag', asset.etag);
      // Appended: the CORS hook may already vary on Origin.
      const vary = reply.getHeader('vary');
      reply.header('vary', vary === undefined ? 'accept-encoding' : `${String(vary)}, accept-encoding`);
      // The page itself is revalidated on every load, so a new build is picked up at once.
      reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
      const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (asset.gzip !== undefined && acceptsGzip) {
        reply.header('content-encoding', 'gzip');
        return reply.send(asset.gzip);
      }
      return reply.send(asset.body);
    };

    app.get('/', { schema: { hide: true } }, async (request, reply) => {
      const index = assets?.get('/index.html');
      if (index === undefined) {
        return reply
          .status(503)
          .header('content-security-policy', DASHBOARD_CSP)
          .type('text/html; charset=utf-8')
          .send(NOT_BUILT);
      }
      return send(request, reply, index);
    });

    app.get('/assets/*', { schema: { hide: true } }, async (request, reply) => {
      const asset = assets?.get(request.url.split('?')[0] ?? '');
      if (asset === undefined) throw new AppError('NOT_FOUND');
      return send(request, reply, asset);
    });

    // Top-level files from web/public (favicon): one exact route each, nothing else at the root.
    for (const [urlPath, asset] of assets ?? []) {
      if (urlPath === '/index.html' || urlPath.startsWith('/assets/') || urlPath.split('/').length !== 2)
        continue;
      app.get(urlPath, { schema: { hide: true } }, async (request, reply) => send(request, reply, asset));
    }
  };
}
