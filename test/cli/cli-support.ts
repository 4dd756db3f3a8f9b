import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Runs the built CLI (`dist/bin/bucketload.js`) as a subprocess, the way users run it. The
// environment is built from scratch (PATH, HOME and what the test gives), so AWS_* or BUCKETLOAD_*
// variables of the machine running the tests never leak into a CLI run.

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/bin/bucketload.js');

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) {
    throw new Error(
      `${CLI} is missing: the CLI tests run the built CLI. Run \`npm run build\` first (\`make test\` does).`,
    );
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Resolves with the first stdout JSON line that matches (bounded by the run's timeout). */
  waitForJson(predicate: (line: any) => boolean): Promise<any>;
}

export interface CliOptions {
  readonly env: Record<string, string>;
  /** The run is killed (SIGKILL) and the test fails after this long. Default 60 s. */
  readonly timeoutMs?: number;
}

const live = new Set<ChildProcess>();

export function cliEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dataDir,
    BUCKETLOAD_DATA_DIR: dataDir,
    BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8',
    BUCKETLOAD_LOG_LEVEL: process.env['BUCKETLOAD_TEST_LOG_LEVEL'] ?? 'error',
    ...extra,
  };
}

export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ predicate: (line: any) => boolean; resolve: (line: any) => void }> = [];
  const seen: any[] = [];
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    pending += chunk.toString('utf8');
    let nl = pending.indexOf('\n');
    while (nl !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      seen.push(parsed);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(parsed)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(parsed);
        }
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `bucketload ${args.join(' ')} did not end within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      // 'exit' can come before the pipes are drained; 'close' follows once they are.
      child.once('close', () => resolve({ code, signal, stdout, stderr }));
      if (child.stdout.readableEnded && child.stderr.readableEnded) resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    waitForJson(predicate) {
      const hit = seen.find(predicate);
      if (hit !== undefined) return Promise.resolve(hit);
      return Promise.race([
        new Promise<any>((resolve) => waiters.push({ predicate, resolve })),
        done.then((result) => {
          throw new Error(
            `the CLI ended (code ${result.code}) before the awaited line\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
          );
        }),
      ]);
    },
  };
}

export async function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Every JSON line of a `--json` run's stdout. */
export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** Kills CLI processes a failed test left running (call from afterAll). */
export function killLeftovers(): number {
  let killed = 0;
  for (const child of live) {
    child.kill('SIGKILL');
    killed += 1;
  }
  live.clear();
  return killed;
}
