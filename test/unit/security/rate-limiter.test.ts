// Pure logic: the fixed-window limiter with an injected clock (no timers, no I/O).
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/security/rate-limiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('RateLimiter', () => {
  it('allows `limit` requests per window, counting down remaining, then refuses', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 3, now: c.now });
    expect([1, 2, 3].map(() => limiter.hit('k').remaining)).toEqual([2, 1, 0]);
    const refused = limiter.hit('k');
    expect(refused).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 60 });
  });

  it('reports whole seconds until the window ends (at least 1) and starts again after it', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 1, now: c.now });
    limiter.hit('k');
    c.advance(59_001);
    expect(limiter.hit('k')).toMatchObject({ allowed: false, resetSeconds: 1 });
    c.advance(998);
    expect(limiter.peek('k')).toMatchObject({ allowed: false, resetSeconds: 1 });
    c.advance(1);
    expect(limiter.hit('k')).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 60 });
  });

  it('keeps one counter per id', () => {
    const limiter = new RateLimiter({ limit: 1, now: clock().now });
    expect(limiter.hit('a').allowed).toBe(true);
    expect(limiter.hit('a').allowed).toBe(false);
    expect(limiter.hit('b').allowed).toBe(true);
  });

  it('refused requests do not extend the window', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 1, now: c.now });
    limiter.hit('k');
    for (let i = 0; i < 10; i += 1) {
      c.advance(5_000);
      limiter.hit('k');
    }
    c.advance(10_000);
    expect(limiter.hit('k').allowed).toBe(true);
  });

  it('peek counts nothing', () => {
    const limiter = new RateLimiter({ limit: 2, now: clock().now });
    expect(limiter.peek('k')).toMatchObject({ allowed: true, remaining: 2 });
    expect(limiter.size).toBe(0);
    expect(limiter.hit('k').remaining).toBe(1);
  });

  it('bounds memory: expired buckets go first, then the oldest', () => {
    const c = clock();
    const limiter = new RateLimiter({ limit: 5, maxBuckets: 3, now: c.now });
    limiter.hit('old');
    c.advance(61_000);
    limiter.hit('a');
    limiter.hit('b');
    limiter.hit('c'); // 'old' has expired: it makes room
    expect(limiter.size).toBe(3);
    limiter.hit('d'); // none expired: the oldest ('a') goes
    expect(limiter.size).toBe(3);
    expect(limiter.peek('a').remaining).toBe(5);
    expect(limiter.peek('b').remaining).toBe(4);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new RateLimiter({ limit: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ limit: 1.5 })).toThrow(RangeError);
  });
});
