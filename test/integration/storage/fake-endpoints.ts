import http from 'node:http';
import net from 'node:net';

// Loopback endpoints that misbehave on purpose, for the failures real test servers cannot show.

export interface TestEndpoint {
  readonly endpoint: string;
  /** Requests seen (method and path), for assertions. */
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return address.port;
}

/** Accepts TCP connections and never answers (holds them until closed). */
export async function startSilentEndpoint(): Promise<TestEndpoint> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: [],
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Answers every request with `answer(req)` after reading its body. */
export async function startScriptedEndpoint(
  answer: (req: http.IncomingMessage) => ScriptedAnswer,
): Promise<TestEndpoint> {
  const requests: TestEndpoint['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const out = answer(req);
      const body = req.method === 'HEAD' ? '' : (out.body ?? '');
      res.writeHead(out.status, {
        'content-type': 'application/xml',
        ...out.headers,
        'content-length': String(Buffer.byteLength(out.body ?? '')),
      });
      res.end(body);
    });
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function s3ErrorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${fields}<RequestId>TEST</RequestId></Error>`;
}

/**
 * A reverse proxy to a real S3 server that refuses what `deny(req)` matches with a 403 AccessDenied,
 * e.g. CopyObject or HEAD, to act like a key whose policy lacks those permissions.
 */
export async function startDenyingProxy(
  target: string,
  deny: (req: http.IncomingMessage) => boolean,
): Promise<TestEndpoint> {
  const requests: TestEndpoint['requests'] = [];
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (deny(req)) {
      req.resume();
      req.on('end', () => {
        const body = req.method === 'HEAD' ? '' : s3ErrorXml('AccessDenied', 'Access Denied');
        res.writeHead(403, {
          'content-type': 'application/xml',
          'content-length': String(Buffer.byteLength(body)),
        });
        res.end(body);
      });
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  const port = await listen(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
