import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { RateLimiter, type RateLimitDecision } from '../security/rate-limiter.js';

type OnRequestHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface RequestLimiters {
  /** Requests per API key per minute (`BUCKETLOAD_RATE_LIMIT_PER_MINUTE`). */
  readonly perKey: RateLimiter;
  /** Failed authentications per client address per minute (`BUCKETLOAD_AUTH_FAILURES_PER_MINUTE`). */
  readonly authFailures: RateLimiter;
}

export function createRequestLimiters(config: {
  rateLimitPerMinute: number;
  authFailuresPerMinute: number;
}): RequestLimiters {
  return {
    perKey: new RateLimiter({ limit: config.rateLimitPerMinute }),
    // Client addresses are cheap to vary over IPv6: keep fewer of them than keys.
    authFailures: new RateLimiter({ limit: config.authFailuresPerMinute, maxBuckets: 20_000 }),
  };
}

/** The IETF draft's fields (draft-ietf-httpapi-ratelimit-headers, the three-field form). */
function setRateLimitHeaders(reply: FastifyReply, decision: RateLimitDecision): void {
  reply.header('ratelimit-limit', decision.limit);
  reply.header('ratelimit-remaining', decision.remaining);
  reply.header('ratelimit-reset', decision.resetSeconds);
  reply.header('ratelimit-policy', `${decision.limit};w=60`);
}

/**
 * The per-key limit, registered after authentication: every authenticated answer carries the
 * `RateLimit-*` fields, and a key over its quota gets 429 RATE_LIMITED with `Retry-After`.
 */
export function limitPerKey(limiter: RateLimiter): OnRequestHook {
  return async function rateLimitPerKey(request, reply) {
    const auth = request.auth;
    if (auth === undefined) return; // authentication runs first and throws; nothing to count
    const decision = limiter.hit(auth.keyId);
    setRateLimitHeaders(reply, decision);
    if (!decision.allowed) {
      reply.header('retry-after', decision.resetSeconds);
      throw new AppError('RATE_LIMITED', {
        details: { limit: decision.limit, retryAfterSeconds: decision.resetSeconds },
      });
    }
  };
}

/**
 * Wraps the authentication hook: failed authentications (401) are counted per client address, and
 * past the limit they answer 429 RATE_LIMITED with `Retry-After` instead of 401. A valid key is
 * never refused by this limit, so a scanner behind the same reverse proxy or NAT as real users
 * cannot lock them out (the cost: the key is still looked up, one indexed query).
 */
export function limitAuthFailures(authenticate: OnRequestHook, limiter: RateLimiter): OnRequestHook {
  return async function authenticateWithFailureLimit(request, reply) {
    try {
      await authenticate(request, reply);
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 401) throw error;
      const decision = limiter.hit(`ip:${request.ip}`);
      if (decision.allowed) throw error;
      reply.header('retry-after', decision.resetSeconds);
      throw new AppError('RATE_LIMITED', {
        message: 'Too many failed authentication attempts from this address.',
        details: { retryAfterSeconds: decision.resetSeconds },
        cause: error,
      });
    }
  };
}
