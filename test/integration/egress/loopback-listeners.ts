import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Real node:http servers on loopback (127.0.0.1 or ::1, port 0) that count every request they get.
 * Routes: `/redirect?to=URL[&status=302]` answers a redirect; `/chain/N` redirects to `/chain/N-1`
 * until `/chain/0`, which answers 200; `/status/N` answers N; `/hang` never answers; anything else
 * answers 200 with the body `hello from HOST`.
 */
export interface CountingListener {
  readonly host: string;
  readonly port: number;
  /** Base URL, `http://127.0.0.1:PORT` or `http://[::1]:PORT`. */
  readonly origin: string;
  readonly requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  count(): number;
  close(): Promise<void>;
}

export async function startCountingListener(host: '127.0.0.1' | '::1'): Promise<CountingListener> {
  const requests: CountingListener['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://listener.invalid');
    const to = url.searchParams.get('to');
    const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
    const status = /^\/status\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/redirect' && to !== null) {
      res.writeHead(Number(url.searchParams.get('status') ?? '302'), { location: to });
      res.end('moved');
    } else if (chain !== null && Number(chain[1]) > 0) {
      res.writeHead(302, { location: `/chain/${Number(chain[1]) - 1}` });
      res.end();
    } else if (status !== null) {
      res.writeHead(Number(status[1]));
      res.end('status');
    } else if (url.pathname === '/hang') {
      // Never answers: for header timeouts.
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from ${host}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    origin: host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`,
    requests,
    count: () => requests.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that nothing listens on (bound, then released). */
export async function closedLoopbackPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
