// Real parts: node:http listeners on 127.0.0.1 and ::1, undici Agent. Faked: DNS for `*.test` names.
// Allowed cases allow-list the loopback listeners explicitly; refused ones count zero requests.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { AppError } from '../../../src/core/errors.js';
import {
  createEgressDispatcher,
  createEgressPolicy,
  guardedFetch,
  parseEgressAllow,
  type EgressPolicy,
  type HostResolver,
} from '../../../src/security/egress/index.js';
import { closedLoopbackPort, startCountingListener, type CountingListener } from './loopback-listeners.js';

const resolveHost: HostResolver = async (hostname) => {
  if (hostname === 'local.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
};

let a: CountingListener;
let b: CountingListener;
let b6: CountingListener;
const dispatchers: Agent[] = [];

function policyFrom(allow: string): EgressPolicy {
  const { rules, errors } = parseEgressAllow(allow);
  expect(errors).toEqual([]);
  return createEgressPolicy(rules);
}

function setup(allow: string, options: { headersTimeoutMs?: number } = {}) {
  const policy = policyFrom(allow);
  const dispatcher = createEgressDispatcher(policy, { resolveHost, ...options });
  dispatchers.push(dispatcher);
  return { policy, dispatcher };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function text(body: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  a = await startCountingListener('127.0.0.1');
  b = await startCountingListener('127.0.0.1');
  b6 = await startCountingListener('::1');
});

afterEach(() => {
  a.requests.length = 0;
  b.requests.length = 0;
  b6.requests.length = 0;
});

afterAll(async () => {
  await Promise.all(dispatchers.map((d) => d.close()));
  await Promise.all([a.close(), b.close(), b6.close()]);
});

describe('allowed loopback listeners are reachable', () => {
  it('by CIDR 127.0.0.0/8, in several spellings', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    for (const url of [
      `${a.origin}/x`,
      `http://127.1:${a.port}/x`,
      `http://[::ffff:127.0.0.1]:${a.port}/x`,
    ]) {
      const { response, finalUrl, redirects } = await guardedFetch(url, { policy, dispatcher });
      expect(response.status).toBe(200);
      expect(await text(response.body)).toBe('hello from 127.0.0.1');
      expect(finalUrl).toBe(new URL(url).href);
      expect(redirects).toEqual([]);
    }
    expect(a.count()).toBe(3);
  });

  it('by 127.0.0.1:PORT, and only that port', async () => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
    const { response } = await guardedFetch(`${a.origin}/`, { policy, dispatcher });
    expect(response.status).toBe(200);
    await text(response.body);
    const error = await failure(guardedFetch(`${b.origin}/`, { policy, dispatcher }));
    expect(error.code).toBe('EGRESS_DENIED');
    expect([a.count(), b.count()]).toEqual([1, 0]);
  });

  it('by [::1]:PORT', async () => {
    const { policy, dispatcher } = setup(`[::1]:${b6.port}`);
    const { response } = await guardedFetch(`${b6.origin}/`, { policy, dispatcher });
    expect(await text(response.body)).toBe('hello from ::1');
    expect(b6.count()).toBe(1);
  });

  it('by a host:port rule, whatever the name resolves to (HEAD)', async () => {
    const { policy, dispatcher } = setup(`local.test:${a.port}`);
    const { response } = await guardedFetch(`http://local.test:${a.port}/h`, {
      policy,
      dispatcher,
      method: 'HEAD',
    });
    expect(response.status).toBe(200);
    await text(response.body);
    expect(a.requests.map((r) => [r.method, r.headers.host])).toEqual([['HEAD', `local.test:${a.port}`]]);
    // The same address under its own name is not covered by the host rule.
    expect((await failure(guardedFetch(`${a.origin}/`, { policy, dispatcher }))).code).toBe('EGRESS_DENIED');
    expect(a.count()).toBe(1);
  });
});

describe('redirects are re-checked at every hop', () => {
  const to = (target: string, status = 302) =>
    `${a.origin}/redirect?status=${status}&to=${encodeURIComponent(target)}`;

  for (const status of [301, 302, 303, 307, 308]) {
    it(`refuses a ${status} from an allowed listener to a loopback one on another port`, async () => {
      const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
      const error = await failure(guardedFetch(to(`${b.origin}/secret`, status), { policy, dispatcher }));
      expect(error.code).toBe('EGRESS_DENIED');
      expect([a.count(), b.count()]).toEqual([1, 0]);
    });
  }

  it.each([
    ['localhost', () => `http://localhost:${b.port}/`],
    ['a name resolving to loopback', () => `http://local.test:${b.port}/`],
    ['odd spelling', () => `http://0x7f.1:${b.port}/`],
    ['IPv4-mapped', () => `http://[::ffff:127.0.0.1]:${b.port}/`],
    ['::1', () => `${b6.origin}/`],
    ['0.0.0.0', () => `http://0.0.0.0:${b.port}/`],
  ])('refuses a redirect to %s', async (_name, target) => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
    const error = await failure(guardedFetch(to(target()), { policy, dispatcher }));
    expect(error.code).toBe('EGRESS_DENIED');
    expect([a.count(), b.count(), b6.count()]).toEqual([1, 0, 0]);
  });

  it.each([
    ['file:', 'file:///etc/passwd'],
    ['ftp:', 'ftp://127.0.0.1/'],
    ['gopher:', 'gopher://127.0.0.1:6379/_INFO'],
    ['data:', 'data:text/plain,hi'],
    ['userinfo', 'http://user:hunter2@127.0.0.1/'],
  ])('refuses a redirect to %s with INVALID_URL', async (_name, target) => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
    const error = await failure(guardedFetch(to(target), { policy, dispatcher }));
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).not.toContain('hunter2');
    expect(a.count()).toBe(1);
  });

  it('follows allowed redirects and reports the chain', async () => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port},127.0.0.1:${b.port}`);
    const first = to(`${b.origin}/final`, 307);
    const { response, finalUrl, redirects } = await guardedFetch(first, { policy, dispatcher });
    expect(await text(response.body)).toBe('hello from 127.0.0.1');
    expect(finalUrl).toBe(`${b.origin}/final`);
    expect(redirects).toEqual([first]);
  });

  it('drops credentials headers when a redirect leaves the origin', async () => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port},127.0.0.1:${b.port}`);
    const headers = { authorization: 'Bearer s3cret', cookie: 'a=b', 'x-keep': 'yes' };
    const { response } = await guardedFetch(to(`${b.origin}/final`), { policy, dispatcher, headers });
    await text(response.body);
    expect(a.requests[0]?.headers.authorization).toBe('Bearer s3cret');
    expect(b.requests[0]?.headers).toMatchObject({ 'x-keep': 'yes' });
    expect(b.requests[0]?.headers.authorization).toBeUndefined();
    expect(b.requests[0]?.headers.cookie).toBeUndefined();
  });

  it('follows 10 redirects by default and refuses the 11th', async () => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
    const ok = await guardedFetch(`${a.origin}/chain/10`, { policy, dispatcher });
    await text(ok.response.body);
    expect(ok.redirects).toHaveLength(10);
    expect(ok.finalUrl).toBe(`${a.origin}/chain/0`);
    a.requests.length = 0;
    const error = await failure(guardedFetch(`${a.origin}/chain/11`, { policy, dispatcher }));
    expect(error.code).toBe('TOO_MANY_REDIRECTS');
    expect(a.count()).toBe(11);
  });

  it('honours maxRedirects', async () => {
    const { policy, dispatcher } = setup(`127.0.0.1:${a.port}`);
    const error = await failure(guardedFetch(`${a.origin}/chain/3`, { policy, dispatcher, maxRedirects: 2 }));
    expect(error.code).toBe('TOO_MANY_REDIRECTS');
    expect(
      (await failure(guardedFetch(`${a.origin}/chain/1`, { policy, dispatcher, maxRedirects: 0 }))).code,
    ).toBe('TOO_MANY_REDIRECTS');
  });
});

describe('URL rules', () => {
  it.each([
    ['file:', () => 'file:///etc/passwd'],
    ['ftp:', () => `ftp://127.0.0.1:${a.port}/`],
    ['gopher:', () => `gopher://127.0.0.1:${a.port}/_x`],
    ['data:', () => 'data:text/plain;base64,aGk='],
    ['javascript:', () => 'javascript:alert(1)'],
    ['ws:', () => `ws://127.0.0.1:${a.port}/`],
    ['user:password@', () => `http://user:hunter2@127.0.0.1:${a.port}/`],
    ['user@', () => `http://user@127.0.0.1:${a.port}/`],
    ['empty userinfo @', () => `http://@127.0.0.1:${a.port}/`],
    ['too long', () => `${a.origin}/${'x'.repeat(4100)}`],
    ['control characters', () => `http://127.0.0.1:${a.port}/\n`.replace('/\n', '/a\tb')],
    ['relative', () => '/just/a/path'],
  ])('refuses %s with INVALID_URL, even when the target is allowed', async (_name, url) => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    const error = await failure(guardedFetch(url(), { policy, dispatcher }));
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).not.toContain('hunter2');
    expect(a.count()).toBe(0);
  });
});

describe('failures map to stable codes', () => {
  it('a closed allowed port is SOURCE_UNREACHABLE', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    const port = await closedLoopbackPort();
    const error = await failure(guardedFetch(`http://127.0.0.1:${port}/`, { policy, dispatcher }));
    expect(error.code).toBe('SOURCE_UNREACHABLE');
    expect(error.retryable).toBe(true);
  });

  it('an unknown name is SOURCE_UNREACHABLE', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    const error = await failure(guardedFetch('http://nowhere.test/', { policy, dispatcher }));
    expect(error.code).toBe('SOURCE_UNREACHABLE');
  });

  it('a listener that never answers is SOURCE_TIMEOUT', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8', { headersTimeoutMs: 200 });
    const error = await failure(guardedFetch(`${a.origin}/hang`, { policy, dispatcher }));
    expect(error.code).toBe('SOURCE_TIMEOUT');
  });

  it('an HTTP error status is SOURCE_HTTP_ERROR with the status', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    const notFound = await failure(guardedFetch(`${a.origin}/status/404`, { policy, dispatcher }));
    expect([notFound.code, notFound.details, notFound.retryable]).toEqual([
      'SOURCE_HTTP_ERROR',
      { status: 404 },
      false,
    ]);
    const unavailable = await failure(guardedFetch(`${a.origin}/status/503`, { policy, dispatcher }));
    expect(unavailable.retryable).toBe(true);
  });

  it('an aborted signal rejects with the abort error, not a source error', async () => {
    const { policy, dispatcher } = setup('127.0.0.0/8');
    const controller = new AbortController();
    const pending = guardedFetch(`${a.origin}/hang`, { policy, dispatcher, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error: unknown = await pending.catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AppError);
    expect((error as Error).name).toBe('AbortError');
  });

  it('refuses a dispatcher that does not enforce the policy', async () => {
    const policy = policyFrom('127.0.0.0/8');
    const plain = new Agent();
    dispatchers.push(plain);
    await expect(guardedFetch(`${a.origin}/`, { policy, dispatcher: plain })).rejects.toThrow(
      /createEgressDispatcher/,
    );
    expect(a.count()).toBe(0);
  });
});
