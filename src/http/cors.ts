import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';
const ALLOWED_HEADERS =
  'authorization, x-api-key, content-type, idempotency-key, x-request-id, range, last-event-id';
const EXPOSED_HEADERS =
  'x-request-id, location, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy, content-disposition, content-range';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS, off unless `BUCKETLOAD_CORS_ORIGINS` lists origins (or `*`). Only a listed `Origin` gets
 * `Access-Control-Allow-Origin` (echoed, with `Vary: Origin`) and a 204 preflight; any other origin
 * gets no CORS fields at all, so browsers keep the same-origin policy. Credentials are never
 * allowed: the API authenticates with a header, not cookies, so a browser cannot be tricked into
 * sending a key it does not hold.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const any = origins.includes('*');
  const listed = new Set(origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));

  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return;
    reply.header('vary', 'Origin');
    if (!any && !listed.has(origin.toLowerCase())) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    const preflightMethod = request.headers['access-control-request-method'];
    if (request.method === 'OPTIONS' && typeof preflightMethod === 'string') {
      reply.header('access-control-allow-methods', ALLOWED_METHODS);
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS);
      return reply.status(204).send();
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  });
}
