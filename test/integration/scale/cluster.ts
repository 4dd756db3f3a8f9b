import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRuntime } from '../../../src/app/runtime.js';
import { loadConfig } from '../../../src/config/config.js';
import { createLogger } from '../../../src/core/logger.js';
import { freePort } from '../../support/test-app.js';

// Scale-out tests run the built CLI (`dist/bin/bucketload.js`, made by `make test` / `npm run build`)
// as real subprocesses: API processes (`serve --no-workers`) and `worker` processes on one
// PostgreSQL database. Every process is started here, tracked by PID, and ended only by PID.

export const CLI = path.resolve('dist/bin/bucketload.js');

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) {
    throw new Error(
      `${CLI} is missing: run \`npm run build\` (or \`make test\`, which builds first) before the scale-out tests`,
    );
  }
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** JSON log lines printed so far (stdout), parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** The last 8 KB of stderr and non-JSON stdout. */
  tail(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** Signals this process (by its PID) and waits for it to exit, bounded. */
  signal(
    sig: NodeJS.Signals,
    waitMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs = new Set<Proc>();

/** The environment every process of a test cluster gets (nothing inherited but PATH and HOME). */
export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    BUCKETLOAD_LOG_LEVEL: 'info',
    ...extra,
  };
}

export function spawnCli(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  assertBuilt();
  const child = spawn(process.execPath, ['--no-warnings', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const logs: Array<Record<string, unknown>> = [];
  let tail = '';
  let partial = '';
  const keep = (text: string) => {
    tail = (tail + text).slice(-8_000);
  };
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    let cut: number;
    while ((cut = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, cut);
      partial = partial.slice(cut + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        keep(`${line}\n`);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => keep(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: Proc = {
    name,
    child,
    pid: child.pid,
    logs,
    tail: () => tail,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async signal(sig, waitMs = 60_000) {
      if (proc.alive()) process.kill(proc.pid, sig);
      const timer = setTimeout(() => {
        if (proc.alive()) process.kill(proc.pid, 'SIGKILL');
      }, waitMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  procs.add(proc);
  void exited.then(() => procs.delete(proc));
  return proc;
}

/** Ends every process this file started (SIGTERM, then SIGKILL after `waitMs`). */
export async function stopAll(waitMs = 30_000): Promise<void> {
  await Promise.all([...procs].map((p) => p.signal('SIGTERM', waitMs)));
}

export async function waitForLog(
  proc: Proc,
  match: (line: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = proc.logs.find(match);
    if (found !== undefined) return found;
    if (!proc.alive()) throw new Error(`${proc.name} exited: ${proc.tail()}`);
    if (Date.now() > deadline)
      throw new Error(`${proc.name}: log line not seen within ${timeoutMs} ms: ${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface ApiProc extends Proc {
  readonly baseUrl: string;
}

/** `serve --no-workers` on a free loopback port; resolves once /readyz answers 200. */
export async function startApi(name: string, env: Record<string, string>): Promise<ApiProc> {
  const port = await freePort();
  const proc = spawnCli(
    name,
    ['serve', '--no-workers', '--grace', '10'],
    baseEnv({ ...env, BUCKETLOAD_PORT: String(port) }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!proc.alive()) throw new Error(`${name} exited while starting: ${proc.tail()}`);
    const ok = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} not ready: ${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Object.assign(proc, { baseUrl });
}

/** `worker`; resolves once it logged that it started. */
export async function startWorker(
  name: string,
  env: Record<string, string>,
  options: { concurrency?: number; grace?: number } = {},
): Promise<Proc> {
  const proc = spawnCli(
    name,
    ['worker', '--concurrency', String(options.concurrency ?? 2), '--grace', String(options.grace ?? 10)],
    baseEnv(env),
  );
  await waitForLog(proc, (l) => l['msg'] === 'bucketload worker started');
  return proc;
}

/** Migrates the database and creates users with keys, in this process (the CLI does the same). */
export async function prepareDatabase(
  env: Record<string, string>,
  users: string[],
): Promise<Record<string, string>> {
  const config = loadConfig({ ...env, BUCKETLOAD_LOG_LEVEL: 'silent' }, path.resolve('.'));
  const runtime = await createRuntime(config, createLogger('silent'));
  try {
    const keys: Record<string, string> = {};
    for (const name of users) {
      const user = await runtime.services.users.create(name, name === 'admin');
      keys[name] = (await runtime.services.keys.create(user.id, 'scale-test')).key;
    }
    return keys;
  } finally {
    await runtime.close();
  }
}

/** A JSON answer; tests check it field by field. */

export type JsonBody = any;

export async function api(
  baseUrl: string,
  method: string,
  url: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: JsonBody }> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}
