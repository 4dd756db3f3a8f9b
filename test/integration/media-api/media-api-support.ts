import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestApp } from '../../support/test-app.js';

// A tiny origin on 127.0.0.1 for what the shared media server cannot serve: pages that point at
// another origin (the egress proof), garbage that claims to be video, files made by one test.

export type SiteRoute =
  | { readonly type: string; readonly body: string | Buffer }
  | { readonly type: string; readonly file: string }
  | ((origin: string) => { readonly type: string; readonly body: string | Buffer });

export interface LoopbackSite {
  readonly baseUrl: string;
  readonly port: number;
  url(pathname: string): string;
  /** Requests received for a path (any method, any query). */
  hits(pathname: string): number;
  close(): Promise<void>;
}

export async function startLoopbackSite(routes: Record<string, SiteRoute>): Promise<LoopbackSite> {
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    const route = routes[pathname];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const resolved = typeof route === 'function' ? route(`http://${req.headers.host ?? '127.0.0.1'}`) : route;
    if ('file' in resolved) {
      const size = fs.statSync(resolved.file).size;
      res.writeHead(200, { 'content-type': resolved.type, 'content-length': size });
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(resolved.file).pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': resolved.type, 'content-length': Buffer.byteLength(resolved.body) });
    res.end(req.method === 'HEAD' ? undefined : resolved.body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    baseUrl,
    port: address.port,
    url: (pathname) => baseUrl + pathname,
    hits: (pathname) => counts.get(pathname) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export function page(title: string, body: string): { type: string; body: string } {
  return {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`,
  };
}

const execFileP = promisify(execFile);

export interface ProbeResult {
  durationSeconds: number;
  formatName: string;
  videoHeights: number[];
  audioCodecs: string[];
  videoCodecs: string[];
}

/** ffprobe run by the test itself (not bucketload's wrapper), on a path or a loopback URL. */
export async function ffprobe(target: string): Promise<ProbeResult> {
  const { stdout } = await execFileP(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', target],
    {
      timeout: 30_000,
      maxBuffer: 8 * 1024 * 1024,
    },
  );
  const json = JSON.parse(stdout) as {
    format: { duration?: string; format_name: string };
    streams: Array<{
      codec_type: string;
      codec_name: string;
      height?: number;
      disposition?: { attached_pic?: number };
    }>;
  };
  const video = json.streams.filter((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  return {
    durationSeconds: Number(json.format.duration ?? 'NaN'),
    formatName: json.format.format_name,
    videoHeights: [...new Set(video.map((s) => s.height ?? 0))].sort((a, b) => b - a),
    videoCodecs: video.map((s) => s.codec_name),
    audioCodecs: json.streams.filter((s) => s.codec_type === 'audio').map((s) => s.codec_name),
  };
}

/** Every file under `dir` (relative paths), for "nothing was left behind" checks. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

export interface ImportSnapshot {
  status: string;
  phase: string | null;
  percent: number | null;
}

/**
 * Polls an import until it is final (bounded), keeping every state seen, so a test can check that
 * the progress never went backwards and which phases it passed through.
 */
export async function watchImport(
  t: Pick<TestApp, 'request'>,
  key: string,
  id: string,
  timeoutMs = 60_000,
  // The API's JSON, loosely typed like TestApp.request's body.
): Promise<{ final: any; seen: ImportSnapshot[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: ImportSnapshot[] = [];
  for (;;) {
    const { body } = await t.request('GET', `/v1/imports/${id}`, { key });
    seen.push({ status: body.status, phase: body.phase, percent: body.progress?.percent ?? null });
    if (['completed', 'failed', 'canceled'].includes(body.status)) return { final: body, seen };
    if (Date.now() > deadline) throw new Error(`import ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** One entry of an import's `result.files`, as the API returns it. */
export interface ResultFile {
  role: string;
  key: string;
  bucket: string | null;
  contentType: string;
  sha256: string;
  sizeBytes: number;
  presignedUrl: string;
}

/**
 * GET without keep-alive. A connection kept alive after a managed-storage download holds the app's
 * `close()` for its keep-alive timeout (72 s), so downloads here close theirs.
 */
export function httpGet(
  url: string,
): Promise<{ status: number; contentType: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          body: Buffer.concat(chunks),
        }),
      );
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url.split('?')[0]} timed out`)));
    request.on('error', reject);
  });
}
