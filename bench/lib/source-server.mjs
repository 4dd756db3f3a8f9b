/**
 * A loopback origin for the end-to-end benchmarks: serves the files of one directory by name
 * (`GET|HEAD /<name>`), with Content-Length, Accept-Ranges, an ETag and Range support, as
 * `application/octet-stream` (a direct file that is not media, so bucketload neither probes it nor
 * hands it to yt-dlp).
 *
 * Run as a process: `node bench/lib/source-server.mjs --dir DIR [--port N]` prints `{"port":N}`.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export function createSourceServer(dir) {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://source').pathname.slice(1));
    // One flat directory: names only, never a path.
    if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    const file = path.join(dir, name);
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    const headers = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
      'last-modified': stat.mtime.toUTCString(),
    };
    let start = 0;
    let end = stat.size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range !== null) {
      start = Number(range[1]);
      end = range[2] === '' ? end : Math.min(end, Number(range[2]));
      if (start > end) {
        res.writeHead(416, { 'content-range': `bytes */${stat.size}`, 'content-length': 0 }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${stat.size}`;
    }
    res.writeHead(status, { ...headers, 'content-length': end - start + 1 });
    if (req.method === 'HEAD' || stat.size === 0) {
      res.end();
      return;
    }
    const stream = fs.createReadStream(file, { start, end, highWaterMark: 1024 * 1024 });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  });
  server.keepAliveTimeout = 60_000;
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const dir = arg('--dir');
  if (dir === undefined) throw new Error('--dir is required');
  const server = createSourceServer(dir);
  server.listen(Number(arg('--port') ?? 0), '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`,
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
