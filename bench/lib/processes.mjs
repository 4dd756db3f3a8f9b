/**
 * Child processes of a benchmark run: every one is tracked by its pid and ended by that pid (its
 * own process group, started detached) on stop, on Ctrl-C and at exit, so a failed run leaves no
 * server behind. Every wait is bounded.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** @type {Map<number, { name: string, child: import('node:child_process').ChildProcess }>} */
const live = new Map();
/** @type {Set<() => void>} */
const syncCleanups = new Set();
let hooked = false;

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function installHooks() {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
    for (const cleanup of syncCleanups) {
      try {
        cleanup();
      } catch {
        // best effort at exit
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's processes\n`);
      process.exit(130);
    });
  }
}

/** Runs `fn` synchronously at exit (e.g. removing a temp dir), until `release()` is called. */
export function atExit(fn) {
  installHooks();
  syncCleanups.add(fn);
  return () => syncCleanups.delete(fn);
}

/**
 * Starts a long-running helper (server) in its own process group. Its stdin is a pipe: helpers of
 * this suite exit when it closes, i.e. when the benchmark dies.
 */
export function startHelper(name, command, args, options = {}) {
  installHooks();
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.stdin.on('error', () => {});
  live.set(child.pid, { name, child });
  child.once('exit', () => live.delete(child.pid));
  return {
    name,
    child,
    pid: child.pid,
    output: () => tail,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: (timeoutMs = 5000) => stopChild(child, timeoutMs),
  };
}

/** SIGTERM to the helper's group, SIGKILL after `timeoutMs`. */
export async function stopChild(child, timeoutMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child.pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), timeoutMs);
  await Promise.race([exited, sleep(timeoutMs + 2000)]);
  clearTimeout(timer);
}

/** Waits for the first JSON line a helper prints on stdout (e.g. `{"port":N}`). */
export async function firstJsonLine(helper, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  let buffer = '';
  const onData = (chunk) => {
    buffer += chunk.toString('utf8');
  };
  helper.child.stdout.on('data', onData);
  try {
    while (Date.now() < until) {
      const line = buffer.split('\n').find((l) => l.trim().startsWith('{'));
      if (line !== undefined) return JSON.parse(line);
      if (helper.exited()) throw new Error(`${helper.name} exited while starting: ${helper.output()}`);
      await sleep(25);
    }
  } finally {
    helper.child.stdout.off('data', onData);
  }
  throw new Error(`${helper.name} printed nothing within ${timeoutMs} ms: ${helper.output()}`);
}

/** Waits until `url` answers below 500 (any answer of a starting server). */
export async function waitHttp(url, helper, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (helper?.exited()) throw new Error(`${helper.name} exited while starting: ${helper.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${helper ? `: ${helper.output()}` : ''}`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Removes a dir now and, should that fail or the run die first, at exit. */
export function removeDirLater(dir) {
  const release = atExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  return async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
    release();
  };
}
