import fsp from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FixtureFile, MediaFixtures } from './media-fixtures.js';

// A real HTTP origin on 127.0.0.1 serving the media fixtures, HTML pages that embed them, and
// routes that misbehave the way real hosts do (short bodies, resets, trickles, hangs, redirects).

export interface MediaServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly baseUrl: string;
  /** `baseUrl` + path. */
  url(pathAndQuery: string): string;
  /**
   * Requests received for a path, HEAD and failed ones included. A path without `?` counts every
   * query string (`/media/video.mp4` includes `/media/video.mp4?copy=3`); with `?` it is exact.
   */
  hits(pathAndQuery: string): number;
  resetHits(): void;
  /** Re-arms `/bad/reset-once.mp4` so its next GET fails again. */
  resetFlaky(): void;
  /** Stops listening and destroys every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** Served by `/media/<name>`; `video.mp4` is also behind `/noext`, `/attachment` and the `/bad/` routes. */
export const MEDIA_ROUTES = [
  'video.mp4',
  'video-moov-end.mp4',
  'video.webm',
  'audio.mp3',
  'audio.m4a',
  'big.bin',
];

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.bin': 'application/octet-stream',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
};

// A fixed date keeps Last-Modified (and If-Range by date) identical across runs and machines.
const LAST_MODIFIED = new Date(Date.UTC(2024, 0, 1)).toUTCString();
const SLOW_CHUNK = 16 * 1024;
const SLOW_INTERVAL_MS = 100;

interface Served {
  file: FixtureFile;
  contentType: string;
}

interface ServeOptions {
  ranges: boolean;
  headers?: Record<string, string>;
  /** Send this fraction of the body, then drop the connection. */
  cutAt?: number;
  /** Trickle SLOW_CHUNK bytes every SLOW_INTERVAL_MS. */
  slow?: boolean;
}

export async function startMediaServer(fixtures: MediaFixtures): Promise<MediaServer> {
  const hitCounts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let flakyArmed = true;

  const served = (file: FixtureFile, contentType?: string): Served => ({
    file,
    contentType:
      contentType ??
      (path.basename(file.relPath).startsWith('init-') ? 'video/mp4' : undefined) ??
      CONTENT_TYPES[path.extname(file.relPath)] ??
      'application/octet-stream',
  });
  const video = served(fixtures.videoMp4);

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const page = PAGES[p];
    if (page) return send(res, 200, 'text/html; charset=utf-8', page(origin(req)));

    if (p.startsWith('/media/')) {
      const name = p.slice('/media/'.length);
      const file = MEDIA_ROUTES.includes(name) ? fixtures.all[name] : undefined;
      return file ? serve(req, res, served(file), { ranges: true }) : notFound(res);
    }
    if (p.startsWith('/hls/') || p.startsWith('/dash/')) {
      // Looked up in the fixture list, never joined onto the disk path: no traversal possible.
      const file = fixtures.all[p.slice(1)];
      return file ? serve(req, res, served(file), { ranges: true }) : notFound(res);
    }
    const status = /^\/status\/(\d{3})$/.exec(p);
    if (status) return send(res, Number(status[1]), 'text/plain; charset=utf-8', `status ${status[1]}\n`);

    const redirect = /^\/redirect\/(\d+)$/.exec(p);
    if (redirect) {
      const remaining = Number(redirect[1]);
      const to = url.searchParams.get('to') ?? '/media/video.mp4';
      // Only paths on this server: the harness must never send a client to another host.
      if (!to.startsWith('/') || to.startsWith('//'))
        return send(res, 400, 'text/plain', 'to must be a path\n');
      if (remaining === 0) return route(req, res, new URL(to, url));
      const location = remaining === 1 ? to : `/redirect/${remaining - 1}?to=${encodeURIComponent(to)}`;
      res.writeHead(302, { Location: location, 'Content-Length': '0' }).end();
      return;
    }

    switch (p) {
      case '/big.bin':
        return serve(req, res, served(fixtures.bigBin), { ranges: true });
      case '/noext':
        return serve(req, res, video, { ranges: true });
      case '/attachment':
        return serve(req, res, video, {
          ranges: true,
          headers: { 'Content-Disposition': 'attachment; filename="My Clip.mp4"' },
        });
      case '/text/plain.txt':
        return send(res, 200, 'text/plain; charset=utf-8', 'Hello from the loopback media server.\n');
      case '/bad/short.mp4':
        return serve(req, res, video, { ranges: false, cutAt: 0.5 });
      case '/bad/reset-once.mp4': {
        // HEAD probes do not use up the failure: the first GET is the one that breaks.
        const fail = flakyArmed && req.method === 'GET';
        if (fail) flakyArmed = false;
        return serve(req, res, video, fail ? { ranges: true, cutAt: 0.4 } : { ranges: true });
      }
      case '/bad/slow.mp4':
        return serve(req, res, video, { ranges: true, slow: true });
      case '/bad/hang':
        return; // Accept and never answer; close() destroys the socket.
      default:
        return notFound(res);
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    countHit(hitCounts, url);
    route(req, res, url).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `media server error: ${String(err)}\n`);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('media server has no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    url: (pathAndQuery) => baseUrl + pathAndQuery,
    hits: (pathAndQuery) => hitCounts.get(pathAndQuery) ?? 0,
    resetHits: () => hitCounts.clear(),
    resetFlaky: () => {
      flakyArmed = true;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

function countHit(counts: Map<string, number>, url: URL): void {
  const keys = url.search ? [url.pathname, url.pathname + url.search] : [url.pathname];
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
}

function origin(req: http.IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function notFound(res: http.ServerResponse): void {
  send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
}

async function serve(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  { file, contentType }: Served,
  options: ServeOptions,
): Promise<void> {
  const etag = `"${file.sha256.slice(0, 32)}"`;
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Last-Modified': LAST_MODIFIED,
    ETag: etag,
    'Accept-Ranges': options.ranges ? 'bytes' : 'none',
    ...options.headers,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }

  let start = 0;
  let end = file.size - 1;
  let status = 200;
  const ifRange = req.headers['if-range'];
  const rangeApplies =
    options.ranges && (ifRange === undefined || ifRange === etag || ifRange === LAST_MODIFIED);
  const range = rangeApplies ? parseRange(req.headers.range, file.size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.size}`, 'Content-Length': 0 }).end();
    return;
  }
  if (range) {
    ({ start, end } = range);
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
  }
  const length = end - start + 1;
  res.writeHead(status, { ...headers, 'Content-Length': length });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }

  if (options.cutAt !== undefined) {
    const sendBytes = Math.floor(length * options.cutAt);
    await writeRange(res, file.path, start, start + sendBytes - 1, false);
    // The Content-Length promised more: the client sees the connection drop mid-body.
    res.socket?.destroy();
    return;
  }
  await writeRange(res, file.path, start, end, options.slow ?? false);
  res.end();
}

/** Writes bytes [start, end] of a file, stopping early if the client goes away. */
async function writeRange(
  res: http.ServerResponse,
  file: string,
  start: number,
  end: number,
  slow: boolean,
): Promise<void> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  res.once('close', onClose);
  const handle = await fsp.open(file);
  try {
    const chunkSize = slow ? SLOW_CHUNK : 64 * 1024;
    for (let pos = start; pos <= end && !gone.signal.aborted; pos += chunkSize) {
      const length = Math.min(chunkSize, end - pos + 1);
      const { buffer } = await handle.read(Buffer.alloc(length), 0, length, pos);
      await writeChunk(res, buffer, gone.signal);
      if (slow && pos + length <= end) await sleep(SLOW_INTERVAL_MS, undefined, { signal: gone.signal });
    }
  } catch (err) {
    if (!gone.signal.aborted) throw err;
  } finally {
    res.off('close', onClose);
    await handle.close();
  }
}

/** Resolves once the chunk is handed to the socket (so a following destroy cannot drop it). */
function writeChunk(res: http.ServerResponse, chunk: Buffer, gone: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (gone.aborted) return resolve();
    const onAbort = (): void => resolve();
    gone.addEventListener('abort', onAbort, { once: true });
    res.write(chunk, (err) => {
      gone.removeEventListener('abort', onAbort);
      if (err && !gone.aborted) reject(err);
      else resolve();
    });
  });
}

/** One `bytes=` range; `undefined` means ignore the header and send everything (RFC 9110 allows it). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // Malformed, another unit, or several ranges.
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

const PAGES: Record<string, (origin: string) => string> = {
  '/page/video.html': () =>
    html('Loopback Test Clip', '<video src="/media/video.mp4" controls width="1280" height="720"></video>'),
  '/page/og.html': (o) =>
    html(
      'OG Test Clip',
      '<p>A page that only announces its video in Open Graph tags.</p>',
      [
        '<meta property="og:title" content="OG Test Clip">',
        '<meta property="og:type" content="video.other">',
        `<meta property="og:video" content="${o}/media/video.mp4">`,
        `<meta property="og:video:url" content="${o}/media/video.mp4">`,
        '<meta property="og:video:type" content="video/mp4">',
        '<meta property="og:video:width" content="1280">',
        '<meta property="og:video:height" content="720">',
      ].join('\n    '),
    ),
  '/page/three.html': () =>
    html(
      'Three Clips',
      [
        '<video src="/media/video.mp4" controls></video>',
        '<video src="/media/video.webm" controls></video>',
        '<video src="/media/video.mp4?copy=3" controls></video>',
      ].join('\n    '),
    ),
  '/page/empty.html': () => html('Nothing To See', '<p>This page has no media.</p>'),
};

function html(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${title}</title>
    ${head}
  </head>
  <body>
    <h1>${title}</h1>
    ${body}
  </body>
</html>
`;
}
