import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.mp4': 'video/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * A tiny static file server on 127.0.0.1 (an ephemeral port) for yt-dlp to fetch from. `pages`
 * answers HTML bodies by path; everything else comes from `root`; unknown paths answer 404.
 */
export interface StaticServerOptions {
  /** Files under `/slow/` are served from `root` at this many bytes per 100 ms (to cancel mid-way). */
  readonly slowBytesPerTick?: number;
}

export async function startStaticServer(
  root: string,
  pages: Readonly<Record<string, string>>,
  options: StaticServerOptions = {},
): Promise<StaticServer> {
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const page = pages[path];
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': TYPES['.html'], 'content-length': Buffer.byteLength(page) });
        res.end(page);
        return;
      }
      const slow = path.startsWith('/slow/');
      const file = join(
        root,
        normalize(slow ? path.slice('/slow'.length) : path).replace(/^(\.\.[/\\])+/, ''),
      );
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': info.size,
        });
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        if (!slow) {
          createReadStream(file).pipe(res);
          return;
        }
        const body = await readFile(file);
        const step = options.slowBytesPerTick ?? 16 * 1024;
        let offset = 0;
        const tick = (): void => {
          if (res.destroyed) return;
          res.write(body.subarray(offset, offset + step));
          offset += step;
          if (offset >= body.length) {
            res.end();
            return;
          }
          const t = setTimeout(() => {
            timers.delete(t);
            tick();
          }, 100);
          timers.add(t);
        };
        tick();
      } catch {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
