// Unit: the guarded lookup with a fake resolver (no DNS, no sockets).
import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  createEgressPolicy,
  createGuardedLookup,
  parseEgressAllow,
  type HostResolver,
} from '../../../src/security/egress/index.js';

const PUBLIC_V6 = '2606:4700:4700::1111';
const PUBLIC_V6_B = '2a00:1450:4001::200e';

const answers: Record<string, string[]> = {
  'public.test': [PUBLIC_V6, PUBLIC_V6_B],
  'mixed.test': [PUBLIC_V6, '127.0.0.1'],
  'loop.test': ['127.0.0.1'],
  'empty.test': [],
};
const calls: string[] = [];
const resolveHost: HostResolver = async (hostname) => {
  calls.push(hostname);
  const list = answers[hostname];
  if (list === undefined)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

type Result = { error: Error | null; address: string | LookupAddress[]; family?: number | undefined };

function lookup(allow: string, hostname: string, options: LookupOptions, port?: number): Promise<Result> {
  const policy = createEgressPolicy(parseEgressAllow(allow).rules);
  const fn = createGuardedLookup(policy, { resolveHost, ...(port === undefined ? {} : { port }) });
  return new Promise((resolve) =>
    fn(hostname, options, (error, address, family) => resolve({ error, address, family })),
  );
}

describe('createGuardedLookup (fake DNS)', () => {
  it('returns every checked address when asked for all, the first otherwise', async () => {
    expect(await lookup('', 'public.test', { all: true })).toEqual({
      error: null,
      address: [
        { address: PUBLIC_V6, family: 6 },
        { address: PUBLIC_V6_B, family: 6 },
      ],
      family: undefined,
    });
    expect(await lookup('', 'public.test', {})).toEqual({ error: null, address: PUBLIC_V6, family: 6 });
  });

  it('refuses the whole answer when any address is refused (DNS rebinding with mixed answers)', async () => {
    for (const options of [{ all: true }, {}]) {
      const { error } = await lookup('', 'mixed.test', options);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('EGRESS_DENIED');
      expect((error as AppError).message).toContain('mixed.test');
    }
  });

  it('needs the port to match port rules', async () => {
    expect((await lookup('127.0.0.1:8080', 'loop.test', {}, 8080)).error).toBeNull();
    expect((await lookup('127.0.0.1:8080', 'loop.test', {}, 8081)).error).toBeInstanceOf(AppError);
    expect((await lookup('127.0.0.1:8080', 'loop.test', {})).error).toBeInstanceOf(AppError);
    expect((await lookup('loop.test:8080', 'loop.test', {}, 8080)).error).toBeNull();
  });

  it('skips DNS for IP literals and localhost names, and still checks them', async () => {
    calls.length = 0;
    expect((await lookup('', '127.0.0.1', {})).error).toBeInstanceOf(AppError);
    expect((await lookup('', '[::1]', {})).error).toBeInstanceOf(AppError);
    expect((await lookup('', 'LocalHost.', {})).error).toBeInstanceOf(AppError);
    expect((await lookup('', 'app.localhost', {})).error).toBeInstanceOf(AppError);
    expect(await lookup('127.0.0.0/8', 'localhost', {})).toEqual({
      error: null,
      address: '127.0.0.1',
      family: 4,
    });
    expect(await lookup('::1', 'localhost', { family: 6 })).toEqual({
      error: null,
      address: '::1',
      family: 6,
    });
    expect(calls).toEqual([]);
  });

  it('passes resolver failures through, and treats an empty answer as not found', async () => {
    const missing = await lookup('', 'nowhere.test', {});
    expect((missing.error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
    const empty = await lookup('', 'empty.test', {});
    expect((empty.error as NodeJS.ErrnoException).code).toBe('ENOTFOUND');
  });
});
