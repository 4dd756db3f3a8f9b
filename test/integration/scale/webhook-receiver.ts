import http from 'node:http';

// A loopback HTTP server that records webhook deliveries. `failFirst` answers 500 to the first N
// requests of a path, so retries can be observed.

export interface ReceivedHook {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly baseUrl: string;
  readonly port: number;
  url(path: string): string;
  received(path?: string): ReceivedHook[];
  failFirst(path: string, count: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const failures = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      hooks.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const left = failures.get(path) ?? 0;
      if (left > 0) {
        failures.set(path, left - 1);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('try again\n');
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    port,
    url: (path) => `${baseUrl}${path}`,
    received: (path) => hooks.filter((h) => path === undefined || h.path === path),
    failFirst: (path, count) => failures.set(path, count),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a Server-Sent Events response until it ends (or `timeoutMs`), returning the events. */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{
  status: number;
  contentType: string | null;
  headers: Headers;
  events: Array<{ event: string; data: any }>;
}> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const events: Array<{ event: string; data: any }> = [];
  if (response.status !== 200 || response.body === null) {
    await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      headers: response.headers,
      events,
    };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
    }
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    events,
  };
}
