import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError, toError } from '../../core/errors.js';
import { classifyAddress } from './egress-address.js';
import { guardConnectTarget } from './egress-connect.js';
import { createEgressHttpAgents } from './egress-dispatcher.js';
import type { HostResolver } from './egress-lookup.js';
import type { EgressPolicy } from './egress-policy.js';
import { parseOutboundUrl, urlHostForConnect, urlPort } from './egress-url.js';

export interface EgressProxy {
  /** `http://127.0.0.1:PORT`, for `yt-dlp --proxy URL` and `ffmpeg -http_proxy URL`. */
  readonly url: string;
  /** Stops listening and cuts every open connection and tunnel. */
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  /** CONNECT tunnels: TCP connect budget. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Forwarded absolute-form requests: longest silence on the upstream socket. Default 60 s. */
  readonly idleTimeoutMs?: number;
  /** Replaces DNS (tests). */
  readonly resolveHost?: HostResolver;
}

/** Request and response headers that belong to one hop, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * A local HTTP proxy for the tools bucketload runs (yt-dlp, ffmpeg), so their connections pass the
 * same egress policy: absolute-form requests (`GET http://host/path`, any method) and CONNECT tunnels
 * (`CONNECT host:443`), each checked on the resolved address before connecting. Refusals answer 403
 * with an `x-bucketload-error: EGRESS_DENIED` header. Listens on 127.0.0.1, a fresh port.
 *
 * The proxy's own address and port are refused whatever the policy says (a loopback allow rule would
 * otherwise let a request loop through the proxy into itself until sockets run out).
 */
export async function startEgressProxy(
  policy: EgressPolicy,
  options: EgressProxyOptions = {},
): Promise<EgressProxy> {
  let ownPort = -1;
  const isSelf = (address: string, port: number): boolean =>
    port === ownPort && ['loopback', 'unspecified'].includes(classifyAddress(address).range);
  const proxyPolicy: EgressPolicy = {
    rules: policy.rules,
    isAllowed: (address, port, hostname) =>
      !isSelf(address, port) && policy.isAllowed(address, port, hostname),
    checkAddress(address, port, hostname) {
      if (isSelf(address, port)) {
        throw new AppError('EGRESS_DENIED', { message: 'The egress proxy does not connect to itself.' });
      }
      policy.checkAddress(address, port, hostname);
    },
  };
  const agents = createEgressHttpAgents(proxyPolicy, {
    ...(options.resolveHost === undefined ? {} : { resolveHost: options.resolveHost }),
  });
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const open = new Set<Duplex>();
  const track = (socket: Duplex): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = parseOutboundUrl(req.url ?? '');
    } catch (error) {
      sendError(res, error);
      return;
    }
    const headers: http.OutgoingHttpHeaders = forwardable(req.headers);
    headers.host = target.host;
    const client = target.protocol === 'https:' ? https : http;
    const upstream = client.request(target, {
      method: req.method ?? 'GET',
      headers,
      agent: target.protocol === 'https:' ? agents.httpsAgent : agents.httpAgent,
      timeout: idleTimeoutMs,
    });
    upstream.on('timeout', () =>
      upstream.destroy(Object.assign(new Error('upstream timeout'), { code: 'ETIMEDOUT' })),
    );
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, clientSocket: Duplex, head: Buffer) => {
    track(clientSocket);
    clientSocket.on('error', () => clientSocket.destroy());
    let host: string;
    let port: number;
    let lookup: net.LookupFunction;
    try {
      // Same URL rules as a fetch: WHATWG turns `0x7f.1:443` into 127.0.0.1, userinfo is refused.
      const url = parseOutboundUrl(`https://${req.url ?? ''}/`);
      if (`${url.hostname}:${urlPort(url)}` !== normalizedAuthority(req.url ?? '')) {
        throw new AppError('INVALID_URL', { message: 'CONNECT needs host:port.' });
      }
      port = urlPort(url);
      ({ host, lookup } = guardConnectTarget(proxyPolicy, urlHostForConnect(url), port, options.resolveHost));
    } catch (error) {
      endWithError(clientSocket, error);
      return;
    }
    const upstream = net.connect({ host, port, lookup, timeout: connectTimeoutMs });
    track(upstream);
    let established = false;
    upstream.once('timeout', () => {
      if (!established) upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    });
    upstream.once('connect', () => {
      established = true;
      upstream.setTimeout(0);
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (established) clientSocket.destroy();
      else endWithError(clientSocket, error);
    });
    clientSocket.on('close', () => upstream.destroy());
  });
  server.on('connection', track);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  ownPort = address.port;

  return {
    url: `http://127.0.0.1:${ownPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
        agents.httpAgent.destroy();
        agents.httpsAgent.destroy();
      }),
  };
}

/** `host:port` as WHATWG would print it, to check the CONNECT target had nothing else (a path, `@`). */
function normalizedAuthority(authority: string): string {
  const match = /^(\[[^\]]+\]|[^:/?#@\s]+):(\d{1,5})$/.exec(authority);
  if (match === null) return '';
  try {
    const url = new URL(`https://${match[1] ?? ''}:${match[2] ?? ''}/`);
    return `${url.hostname}:${urlPort(url)}`;
  } catch {
    return '';
  }
}

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function errorAnswer(error: unknown): { status: number; code: string; message: string } {
  const err = toError(error);
  if (err instanceof AppError)
    return { status: err.code === 'EGRESS_DENIED' ? 403 : 400, code: err.code, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (code === 'ETIMEDOUT')
    return { status: 504, code: 'SOURCE_TIMEOUT', message: 'The upstream did not answer in time.' };
  return { status: 502, code: 'SOURCE_UNREACHABLE', message: 'The upstream could not be reached.' };
}

function sendError(res: http.ServerResponse, error: unknown): void {
  const { status, code, message } = errorAnswer(error);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-bucketload-error': code,
    connection: 'close',
  });
  res.end(`${code}: ${message}\n`);
}

function endWithError(socket: Duplex, error: unknown): void {
  const { status, code, message } = errorAnswer(error);
  const body = `${code}: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      `content-type: text/plain; charset=utf-8\r\nx-bucketload-error: ${code}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
