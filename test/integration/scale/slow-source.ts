import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';

// A loopback origin for scale tests: `/slow/<name>.bin?size=N&rate=R` sends N deterministic bytes
// (derived from the name) at about R bytes per second, with Content-Length, so a job stays in its
// download (and, for N above one part, in its multipart upload) long enough for a kill to land there.

export interface SlowSource {
  readonly baseUrl: string;
  url(name: string, size: number, rate: number): string;
  /** SHA-256 of what `url(name, size, …)` serves. */
  sha256(name: string, size: number): string;
  hits(name: string): number;
  close(): Promise<void>;
}

export function slowBytes(name: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(name).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export async function startSlowSource(): Promise<SlowSource> {
  const cache = new Map<string, Buffer>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const bytesOf = (name: string, size: number): Buffer => {
    const key = `${name}:${size}`;
    let buf = cache.get(key);
    if (buf === undefined) {
      buf = slowBytes(name, size);
      cache.set(key, buf);
    }
    return buf;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/slow\/([a-z0-9-]{1,64})\.bin$/.exec(url.pathname);
    const size = Number(url.searchParams.get('size'));
    const rate = Number(url.searchParams.get('rate'));
    if (match === null || !Number.isInteger(size) || size <= 0 || !(rate > 0)) {
      res.writeHead(404).end();
      return;
    }
    const name = match[1]!;
    hits.set(name, (hits.get(name) ?? 0) + 1);
    const body = bytesOf(name, size);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const tickMs = 50;
    const chunk = Math.max(1, Math.round((rate * tickMs) / 1000));
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) {
        clearInterval(timer);
        return;
      }
      const end = Math.min(size, offset + chunk);
      res.write(body.subarray(offset, end));
      offset = end;
      if (offset >= size) {
        clearInterval(timer);
        res.end();
      }
    }, tickMs);
    res.on('close', () => clearInterval(timer));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return {
    baseUrl,
    url: (name, size, rate) => `${baseUrl}/slow/${name}.bin?size=${size}&rate=${rate}`,
    sha256: (name, size) => createHash('sha256').update(bytesOf(name, size)).digest('hex'),
    hits: (name) => hits.get(name) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
