import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Security headers on every response. The API never renders HTML, so its CSP forbids everything;
 * the dashboard routes set their own, stricter-than-default policy.
 */
export function registerSecurityHeaders(app: FastifyInstance, options: { https: boolean }): void {
  app.addHook('onSend', async (request, reply, payload) => {
    setSecurityHeaders(reply, request.url, options);
    return payload;
  });
}

/** The headers themselves; also called where no hook runs (Fastify's `frameworkErrors`). */
export function setSecurityHeaders(reply: FastifyReply, url: string, options: { https: boolean }): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  if (reply.getHeader('content-security-policy') === undefined) {
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  }
  if (options.https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  if (reply.getHeader('cache-control') === undefined && url.startsWith('/v1/'))
    reply.header('cache-control', 'no-store');
}
