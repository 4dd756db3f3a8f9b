/**
 * Fixed-window request counters, in memory, one per process.
 *
 * Terminology: a *bucket* is one caller's counter (an API key id, or a client address for
 * authentication failures); a *window* is the `windowMs` period that starts with the bucket's first
 * request and after which its count starts again from zero.
 *
 * Why fixed windows: the IETF `RateLimit-*` fields (limit, remaining, reset) then describe exactly
 * what the server will do, and each bucket costs two numbers. The price is that a caller can spend
 * up to twice the limit across a window boundary; for an API that protects workers and the database
 * from a runaway client this is acceptable (docs/decisions/011-rate-limiting.md).
 *
 * With several API processes every process counts on its own, so the effective limit is the
 * per-process limit times the number of processes behind the load balancer.
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the current window after this one (0 when refused). */
  readonly remaining: number;
  /** Whole seconds until the window ends and the count starts again (at least 1). */
  readonly resetSeconds: number;
}

export interface RateLimiterOptions {
  /** Requests allowed per window. */
  readonly limit: number;
  readonly windowMs?: number;
  /** Upper bound on tracked buckets; the oldest are dropped first (bounded memory under attack). */
  readonly maxBuckets?: number;
  /** Injected for tests; defaults to `Date.now`. */
  readonly now?: () => number;
}

interface Bucket {
  windowStart: number;
  count: number;
}

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxBuckets: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError('limit must be a positive integer');
    this.limit = options.limit;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Counts one request against `id` and says whether it may proceed. */
  hit(id: string): RateLimitDecision {
    const bucket = this.current(id, true);
    if (bucket.count >= this.limit) return this.decision(bucket, false);
    bucket.count += 1;
    return this.decision(bucket, true);
  }

  /** The state of `id` without counting a request. */
  peek(id: string): RateLimitDecision {
    const bucket = this.current(id, false);
    return this.decision(bucket, bucket.count < this.limit);
  }

  /** Number of tracked buckets (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private current(id: string, create: boolean): Bucket {
    const now = this.now();
    const existing = this.buckets.get(id);
    if (existing !== undefined && now - existing.windowStart < this.windowMs) return existing;
    const fresh: Bucket = { windowStart: now, count: 0 };
    if (!create) return fresh;
    if (existing !== undefined) this.buckets.delete(id);
    if (this.buckets.size >= this.maxBuckets) this.evict(now);
    this.buckets.set(id, fresh);
    return fresh;
  }

  /** Drops expired buckets; if none expired, the oldest (Map order is insertion order). */
  private evict(now: number): void {
    for (const [id, bucket] of this.buckets) {
      if (now - bucket.windowStart >= this.windowMs) this.buckets.delete(id);
    }
    while (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
  }

  private decision(bucket: Bucket, allowed: boolean): RateLimitDecision {
    const msLeft = bucket.windowStart + this.windowMs - this.now();
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - bucket.count),
      resetSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
    };
  }
}
