// Real parts: node:http listeners on 127.0.0.1 and ::1, undici Agent, node:http Agents, the egress
// proxy, system DNS for `localhost`. Faked: DNS answers for `*.test` names (to make names resolve to
// chosen loopback forms). Nothing here leaves the machine: every target is loopback or unspecified.
import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { AppError } from '../../../src/core/errors.js';
import {
  CLOUD_METADATA_ADDRESSES,
  createEgressDispatcher,
  createEgressHttpAgents,
  createEgressPolicy,
  guardedFetch,
  startEgressProxy,
  type EgressProxy,
  type HostResolver,
} from '../../../src/security/egress/index.js';
import { startCountingListener, type CountingListener } from './loopback-listeners.js';

/** A public IPv6 address that only ever appears in a fake DNS answer next to a loopback one. */
const PUBLIC_V6 = '2606:4700:4700::1111';

const FAKE_DNS: Readonly<Record<string, readonly string[]>> = {
  'rebind.test': ['127.0.0.1'],
  'mixed.test': [PUBLIC_V6, '127.0.0.1'],
  'v6only.test': ['::1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'nat64.test': ['64:ff9b::7f00:1'],
  'zero.test': ['0.0.0.0'],
  'metadata.test': CLOUD_METADATA_ADDRESSES,
};

const resolveHost: HostResolver = async (hostname, options) => {
  const fake = FAKE_DNS[hostname];
  if (fake === undefined) return dns.lookup(hostname, { all: true, family: options.family });
  return fake.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

let v4: CountingListener;
let v6: CountingListener;

/** Each form aims at a loopback listener (P: 127.0.0.1's port, Q: ::1's port) or at loopback space. */
function refusedUrls(P: number, Q: number): [string, string][] {
  return [
    ['dotted loopback', `http://127.0.0.1:${P}/`],
    ['short 127.1', `http://127.1:${P}/`],
    ['short 127.0.1', `http://127.0.1:${P}/`],
    ['decimal', `http://2130706433:${P}/`],
    ['hex', `http://0x7f000001:${P}/`],
    ['hex short', `http://0x7f.1:${P}/`],
    ['hex first octet', `http://0x7f.0.0.1:${P}/`],
    ['octal', `http://0177.0.0.1:${P}/`],
    ['octal short', `http://0177.1:${P}/`],
    ['octal whole', `http://017700000001:${P}/`],
    ['zero-padded', `http://127.000.000.001:${P}/`],
    ['percent-encoded host', `http://%31%32%37%2E0%2E0%2E1:${P}/`],
    ['trailing dot IPv4', `http://127.0.0.1.:${P}/`],
    ['other loopback address', `http://127.0.0.2:${P}/`],
    ['top of 127/8', `http://127.255.255.254:${P}/`],
    ['unspecified 0.0.0.0', `http://0.0.0.0:${P}/`],
    ['unspecified 0', `http://0:${P}/`],
    ['unspecified hex 0x0', `http://0x0:${P}/`],
    ['localhost', `http://localhost:${P}/`],
    ['LOCALHOST', `http://LOCALHOST:${P}/`],
    ['localhost.', `http://localhost.:${P}/`],
    ['sub.localhost', `http://app.localhost:${P}/`],
    ['https to loopback', `https://127.0.0.1:${P}/`],
    ['https to localhost', `https://localhost:${P}/`],
    ['IPv6 loopback', `http://[::1]:${Q}/`],
    ['IPv6 loopback long', `http://[0:0:0:0:0:0:0:1]:${Q}/`],
    ['IPv6 loopback odd zeros', `http://[0000::0:0001]:${Q}/`],
    ['IPv6 unspecified', `http://[::]:${Q}/`],
    ['IPv4-mapped dotted', `http://[::ffff:127.0.0.1]:${P}/`],
    ['IPv4-mapped hex', `http://[::ffff:7f00:1]:${P}/`],
    ['IPv4-mapped long', `http://[0:0:0:0:0:ffff:127.0.0.1]:${P}/`],
    ['IPv4-mapped unspecified', `http://[::ffff:0.0.0.0]:${P}/`],
    ['IPv4-translated', `http://[::ffff:0:7f00:1]:${P}/`],
    ['IPv4-compatible dotted', `http://[::127.0.0.1]:${P}/`],
    ['IPv4-compatible hex', `http://[::7f00:1]:${P}/`],
    ['NAT64 well-known', `http://[64:ff9b::7f00:1]:${P}/`],
    ['NAT64 well-known dotted', `http://[64:ff9b::127.0.0.1]:${P}/`],
    ['NAT64 local-use', `http://[64:ff9b:1::7f00:1]:${P}/`],
    ['6to4', `http://[2002:7f00:1::]:${P}/`],
    ['6to4 with host bits', `http://[2002:7f00:1::1]:${P}/`],
    ['Teredo server loopback', `http://[2001:0:7f00:1::]:${P}/`],
    ['Teredo client loopback', `http://[2001:0:7f00:1:0:0:80ff:fffe]:${P}/`],
    ['IPv6 link-local', `http://[fe80::1]:${Q}/`],
    ['IPv6 unique-local', `http://[fd00::1]:${Q}/`],
    ['IPv6 site-local', `http://[fec0::1]:${Q}/`],
    ['IPv6 multicast', `http://[ff02::1]:${Q}/`],
    ['IPv6 metadata', `http://[fd00:ec2::254]:${Q}/`],
    ['name -> 127.0.0.1', `http://rebind.test:${P}/`],
    ['name -> public + loopback (rebinding)', `http://mixed.test:${P}/`],
    ['name -> ::1', `http://v6only.test:${Q}/`],
    ['name -> IPv4-mapped loopback', `http://mapped.test:${P}/`],
    ['name -> NAT64 loopback', `http://nat64.test:${P}/`],
    ['name -> 0.0.0.0', `http://zero.test:${P}/`],
    ['name -> cloud metadata', `http://metadata.test:${P}/`],
  ];
}

type Attempt = (url: string) => Promise<unknown>;

const policy = createEgressPolicy([]);
const dispatcher = createEgressDispatcher(policy, { resolveHost, connectTimeoutMs: 2_000 });
const agents = createEgressHttpAgents(policy, { resolveHost });
let proxy: EgressProxy;

function viaNodeAgents(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const get = secure ? https.get : http.get;
    const req = get(url, { agent: secure ? agents.httpsAgent : agents.httpAgent, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
  });
}

/** Sends an absolute-form request to the proxy; resolves with the status and error header. */
function viaProxy(url: string): Promise<{ status: number | undefined; code: unknown }> {
  return new Promise((resolve, reject) => {
    const proxyUrl = new URL(proxy.url);
    const req = http.request(
      { host: proxyUrl.hostname, port: proxyUrl.port, method: 'GET', path: url },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode, code: res.headers['x-bucketload-error'] });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  v4 = await startCountingListener('127.0.0.1');
  v6 = await startCountingListener('::1');
  proxy = await startEgressProxy(policy, { resolveHost });
});

afterAll(async () => {
  await proxy.close();
  await dispatcher.close();
  agents.httpAgent.destroy();
  agents.httpsAgent.destroy();
  await v4.close();
  await v6.close();
});

describe('default policy refuses loopback in every spelling, and nothing reaches the listeners', () => {
  it('has at least 40 forms', () => {
    expect(refusedUrls(1, 2).length).toBeGreaterThanOrEqual(40);
  });

  const modes: [string, Attempt][] = [
    ['guardedFetch', (url) => guardedFetch(url, { policy, dispatcher })],
    [
      'undici request on the egress dispatcher (connect-time check only)',
      (url) => request(url, { dispatcher }),
    ],
    ['node:http with the egress agents (connect-time check only)', viaNodeAgents],
  ];

  for (const [mode, attempt] of modes) {
    describe(mode, () => {
      // The table needs the listener ports, known only after beforeAll: index into it lazily.
      for (const [index, [name]] of refusedUrls(1, 2).entries()) {
        it(`refuses ${name}`, async () => {
          const [, url] = refusedUrls(v4.port, v6.port)[index] ?? ['', ''];
          const error: unknown = await attempt(url).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('EGRESS_DENIED');
          expect([v4.count(), v6.count()]).toEqual([0, 0]);
        });
      }
    });
  }

  describe('the egress proxy (absolute-form GET)', () => {
    for (const [index, [name]] of refusedUrls(1, 2).entries()) {
      it(`answers 403 EGRESS_DENIED for ${name}`, async () => {
        const [, url] = refusedUrls(v4.port, v6.port)[index] ?? ['', ''];
        const answer = await viaProxy(url);
        expect(answer).toEqual({ status: 403, code: 'EGRESS_DENIED' });
        expect([v4.count(), v6.count()]).toEqual([0, 0]);
      });
    }
  });

  it('names the host in the message but not the address a name resolved to', async () => {
    const error = await guardedFetch(`http://rebind.test:${v4.port}/`, { policy, dispatcher }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toContain('rebind.test');
    expect((error as AppError).message).not.toContain('127.0.0.1');
    expect((error as AppError).details).toMatchObject({
      host: 'rebind.test',
      port: v4.port,
      range: 'loopback',
    });
  });
});
