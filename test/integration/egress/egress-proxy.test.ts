// Real parts: the egress proxy, node:http listeners on 127.0.0.1 and ::1, raw CONNECT tunnels, and
// curl (as a stand-in for yt-dlp/ffmpeg) when it is installed. Faked: nothing.
import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEgressPolicy,
  parseEgressAllow,
  startEgressProxy,
  type EgressProxy,
} from '../../../src/security/egress/index.js';
import { startCountingListener, type CountingListener } from './loopback-listeners.js';

let v4: CountingListener;
let v6: CountingListener;
const proxies: EgressProxy[] = [];

async function proxyWith(allow: string): Promise<EgressProxy> {
  const { rules, errors } = parseEgressAllow(allow);
  expect(errors).toEqual([]);
  const proxy = await startEgressProxy(createEgressPolicy(rules));
  proxies.push(proxy);
  return proxy;
}

function absoluteGet(
  proxy: EgressProxy,
  target: string,
): Promise<{ status: number; code: unknown; body: string }> {
  const { hostname, port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: target }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, code: res.headers['x-bucketload-error'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a CONNECT tunnel; when it is established, sends a GET through it and returns the answer. */
function connectThenGet(
  proxy: EgressProxy,
  authority: string,
): Promise<{ status: number; code: unknown; body: string }> {
  const { hostname, port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method: 'CONNECT', path: authority });
    req.on('connect', (res: http.IncomingMessage, socket: net.Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, code: res.headers['x-bucketload-error'], body: '' });
        return;
      }
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (raw += chunk));
      socket.on('end', () => resolve({ status: 200, code: undefined, body: raw.split('\r\n\r\n')[1] ?? '' }));
      socket.write(`GET /tunnelled HTTP/1.0\r\nhost: ${authority}\r\nconnection: close\r\n\r\n`);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  v4 = await startCountingListener('127.0.0.1');
  v6 = await startCountingListener('::1');
});

afterEach(() => {
  v4.requests.length = 0;
  v6.requests.length = 0;
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([v4.close(), v6.close()]);
});

describe('egress proxy, default policy', () => {
  it.each([
    ['127.0.0.1', () => `127.0.0.1:${v4.port}`],
    ['localhost', () => `localhost:${v4.port}`],
    ['hex 0x7f.1', () => `0x7f.1:${v4.port}`],
    ['decimal 2130706433', () => `2130706433:${v4.port}`],
    ['IPv4-mapped', () => `[::ffff:127.0.0.1]:${v4.port}`],
    ['NAT64', () => `[64:ff9b::7f00:1]:${v4.port}`],
    ['::1', () => `[::1]:${v6.port}`],
    ['[::]', () => `[::]:${v6.port}`],
    ['0.0.0.0', () => `0.0.0.0:${v4.port}`],
  ])('refuses CONNECT to %s with 403 EGRESS_DENIED', async (_name, authority) => {
    const proxy = await proxyWith('');
    expect(await connectThenGet(proxy, authority())).toMatchObject({ status: 403, code: 'EGRESS_DENIED' });
    expect([v4.count(), v6.count()]).toEqual([0, 0]);
  });

  it.each([
    ['a path', () => `127.0.0.1:${v4.port}/x`],
    ['userinfo', () => `user:pw@127.0.0.1:${v4.port}`],
    ['no port', () => '127.0.0.1'],
  ])('refuses a malformed CONNECT target (%s) with 400', async (_name, authority) => {
    const proxy = await proxyWith('127.0.0.0/8');
    expect(await connectThenGet(proxy, authority())).toMatchObject({ status: 400, code: 'INVALID_URL' });
    expect(v4.count()).toBe(0);
  });

  it('refuses origin-form requests and non-http schemes', async () => {
    const proxy = await proxyWith('127.0.0.0/8');
    expect(await absoluteGet(proxy, '/local')).toMatchObject({ status: 400, code: 'INVALID_URL' });
    expect(await absoluteGet(proxy, `ftp://127.0.0.1:${v4.port}/`)).toMatchObject({
      status: 400,
      code: 'INVALID_URL',
    });
    expect(v4.count()).toBe(0);
  });
});

describe('egress proxy, allowed targets', () => {
  it('forwards absolute-form GET to an allow-listed listener', async () => {
    const proxy = await proxyWith(`127.0.0.1:${v4.port}`);
    const answer = await absoluteGet(proxy, `${v4.origin}/via-proxy`);
    expect(answer).toEqual({ status: 200, code: undefined, body: 'hello from 127.0.0.1' });
    expect(v4.requests.map((r) => r.url)).toEqual(['/via-proxy']);
    expect(v4.requests[0]?.headers['proxy-connection']).toBeUndefined();
  });

  it('tunnels CONNECT to an allow-listed listener, IPv4 and IPv6', async () => {
    const proxy = await proxyWith(`127.0.0.1:${v4.port},[::1]:${v6.port}`);
    expect(await connectThenGet(proxy, `127.0.0.1:${v4.port}`)).toMatchObject({
      status: 200,
      body: 'hello from 127.0.0.1',
    });
    expect(await connectThenGet(proxy, `[::1]:${v6.port}`)).toMatchObject({
      status: 200,
      body: 'hello from ::1',
    });
    expect([v4.count(), v6.count()]).toEqual([1, 1]);
  });

  it('never reaches itself, even when all of loopback is allowed', async () => {
    const proxy = await proxyWith('127.0.0.0/8,::1');
    const own = new URL(proxy.url).port;
    expect(await absoluteGet(proxy, `http://127.0.0.1:${own}/loop`)).toMatchObject({
      status: 403,
      code: 'EGRESS_DENIED',
    });
    expect(await absoluteGet(proxy, `http://localhost:${own}/loop`)).toMatchObject({
      status: 403,
      code: 'EGRESS_DENIED',
    });
    expect(await connectThenGet(proxy, `127.0.0.1:${own}`)).toMatchObject({
      status: 403,
      code: 'EGRESS_DENIED',
    });
    expect(await connectThenGet(proxy, `0x7f.1:${own}`)).toMatchObject({
      status: 403,
      code: 'EGRESS_DENIED',
    });
  });

  it('serves a real client (curl --proxy), and refuses for it too', async () => {
    const curl = await promisify(execFile)('curl', ['--version']).catch(() => undefined);
    if (curl === undefined) return; // curl is optional here; the raw-socket tests above cover the protocol.
    const proxy = await proxyWith(`127.0.0.1:${v4.port}`);
    const run = (url: string) =>
      promisify(execFile)('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '--proxy', proxy.url, url]).then(
        (r) => r.stdout,
      );
    expect(await run(`${v4.origin}/curl`)).toBe('hello from 127.0.0.1\n200');
    expect(await run(`${v6.origin}/curl`)).toMatch(/403$/);
    expect([v4.count(), v6.count()]).toEqual([1, 0]);
  });
});
