import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import { buildApp } from '../../src/http/app.js';
import { tempDir } from './databases.js';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  readonly config: Config;
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly dataDir: string;
  /** Creates a non-admin user and returns its key. */
  userKey(name: string): Promise<string>;
  request(
    method: string,
    url: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * The real app on a real loopback port: real database (the URL given), real local managed storage
 * in a temp data dir, in-process workers, the egress policy allowing loopback only because the
 * test says so (BUCKETLOAD_EGRESS_ALLOW).
 */
export async function startTestApp(options: {
  databaseUrl: string;
  env?: Record<string, string>;
  workers?: number;
  dataDir?: string;
  /** Where the app's pino lines go (default: stdout), e.g. to assert what is never logged. */
  logDestination?: DestinationStream;
}): Promise<TestApp> {
  const dataDir = options.dataDir ?? (await tempDir('bl-data-'));
  const port = await freePort();
  const config = loadConfig(
    {
      BUCKETLOAD_DATA_DIR: dataDir,
      BUCKETLOAD_DATABASE_URL: options.databaseUrl,
      BUCKETLOAD_PORT: String(port),
      BUCKETLOAD_LOG_LEVEL: process.env['BUCKETLOAD_TEST_LOG_LEVEL'] ?? 'silent',
      BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8',
      BUCKETLOAD_LEASE_SECONDS: '6',
      // Tests poll hard with one key from one address; the limits' own tests set them low.
      BUCKETLOAD_RATE_LIMIT_PER_MINUTE: '10000000',
      BUCKETLOAD_AUTH_FAILURES_PER_MINUTE: '10000000',
      ...options.env,
    },
    path.resolve('.'),
  );
  const logger = createLogger(config.logLevel, options.logDestination);
  const runtime = await createRuntime(config, logger);
  const admin =
    (await runtime.services.users.findByName('admin')) ??
    (await runtime.services.users.create('admin', true));
  const { key: adminKey } = await runtime.services.keys.create(admin.id, 'test');
  const app = await buildApp(runtime.services);
  await app.listen({ host: '127.0.0.1', port });
  if ((options.workers ?? 2) > 0) runtime.startWorkers(options.workers ?? 2);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    runtime,
    config,
    baseUrl,
    adminKey,
    dataDir,
    async userKey(name) {
      const user = await runtime.services.users.create(name, false);
      return (await runtime.services.keys.create(user.id, null)).key;
    },
    async request(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key !== undefined) headers['authorization'] = `Bearer ${opts.key}`;
      if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${baseUrl}${url}`, {
        method,
        headers,
        ...(opts.body === undefined
          ? {}
          : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body, headers: response.headers };
    },
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}

/** Polls an import until it reaches a final state (bounded). */
export async function waitForImport(app: TestApp, key: string, id: string, timeoutMs = 45_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await app.request('GET', `/v1/imports/${id}`, { key });
    if (['completed', 'failed', 'canceled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `predicate` holds (bounded). */
export async function waitFor<T>(
  fn: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
