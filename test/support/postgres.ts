import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

// Real PostgreSQL for integration tests: a throwaway cluster per call (the global setup starts one
// per run), plus per-test databases on it.

const execFileP = promisify(execFile);
const DIR_PREFIX = 'bucketload-pg-';
const OWNER_FILE = 'owner.json';

export interface PostgresCluster {
  /** Superuser URL of the `postgres` database, over TCP on 127.0.0.1. */
  readonly url: string;
  /** The temp dir holding the data dir, the socket and the server log; removed by `stop`. */
  readonly dir: string;
  /** Immediate shutdown, then removes `dir`. Idempotent; succeeds if the server already died. */
  stop(): Promise<void>;
  /**
   * Fast shutdown (every client disconnected, committed work flushed), `downMs` of outage, then a
   * start on the same port and data dir.
   */
  restart(downMs?: number): Promise<void>;
}

interface LiveCluster {
  dir: string;
  dataDir: string;
}

// Clusters of this process, stopped synchronously on exit so an aborted run (a thrown global setup,
// Ctrl-C) leaves neither a running postmaster nor its dir behind.
const live = new Set<LiveCluster>();
let exitHookInstalled = false;

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = await findPgBin();
  const runAs = await postgresUser();
  await sweepStaleClusters();
  installExitHook(bin, runAs);

  let lastError: Error | undefined;
  // The free port is found by binding port 0 then releasing it, so another process can take it in
  // between; a start that fails on the port is retried with a new one.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const dir = await makeClusterDir(runAs);
    const cluster: LiveCluster = { dir, dataDir: path.join(dir, 'data') };
    live.add(cluster);
    try {
      // prettier-ignore
      const initdb = ['-D', cluster.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'];
      await run(bin, runAs, 'initdb', initdb, dir);
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      const log = path.join(dir, 'postgres.log');
      await run(
        bin,
        runAs,
        'pg_ctl',
        ['-w', '-t', '30', '-D', cluster.dataDir, '-l', log, '-o', options, 'start'],
        dir,
      );
      let stopped: Promise<void> | undefined;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        dir,
        stop: () => (stopped ??= stopCluster(bin, runAs, cluster)),
        async restart(downMs = 0) {
          await run(
            bin,
            runAs,
            'pg_ctl',
            ['-D', cluster.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'],
            dir,
          );
          if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
          await run(
            bin,
            runAs,
            'pg_ctl',
            ['-w', '-t', '30', '-D', cluster.dataDir, '-l', log, '-o', options, 'start'],
            dir,
          );
        },
      };
    } catch (err) {
      const tail = await logTail(dir);
      const reason = err instanceof Error ? err.message : String(err);
      lastError = new Error(`PostgreSQL did not start: ${reason}\nserver log: ${tail}`, { cause: err });
      await stopCluster(bin, runAs, cluster);
      if (!/could not bind|already in use/i.test(tail)) break;
    }
  }
  throw lastError ?? new Error('PostgreSQL did not start');
}

/** Creates a fresh database on the server of `adminUrl` and returns its URL. */
export async function createPgDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, (client) => client.query(`create database ${quoteIdent(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops a database, disconnecting whatever still uses it; no error if it is already gone. */
export async function dropPgDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, (client) =>
    client.query(`drop database if exists ${quoteIdent(name)} with (force)`),
  );
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  return `"${name}"`;
}

/** `null` when we are not root and run the binaries as ourselves. */
type RunAs = { uid: number; gid: number } | null;

async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return null;
  // initdb and postgres refuse to run as root.
  try {
    const [uid, gid] = await Promise.all([
      execFileP('id', ['-u', 'postgres']),
      execFileP('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch (err) {
    throw new Error('running as root needs a `postgres` system user to own the test cluster', { cause: err });
  }
}

async function findPgBin(): Promise<string> {
  const fromEnv = process.env['BUCKETLOAD_TEST_PG_BIN'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = (await fsp.readdir(root).catch(() => [] as string[]))
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error(`no PostgreSQL under ${root}; set BUCKETLOAD_TEST_PG_BIN`);
  return path.join(root, newest, 'bin');
}

async function makeClusterDir(runAs: RunAs): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(baseTmpDir(), DIR_PREFIX));
  await fsp.writeFile(path.join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid }));
  if (runAs) await fsp.chown(dir, runAs.uid, runAs.gid);
  return dir;
}

// As root the dir must be reachable by the postgres user: a TMPDIR under /root is not.
function baseTmpDir(): string {
  const tmp = os.tmpdir();
  if (process.getuid?.() !== 0) return tmp;
  for (let dir = tmp; ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return '/tmp';
    if (dir === path.dirname(dir)) return tmp;
  }
}

function command(bin: string, runAs: RunAs, tool: string, args: string[]): [string, string[]] {
  const exe = path.join(bin, tool);
  return runAs ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
}

function cleanEnv(): NodeJS.ProcessEnv {
  // PGDATA, PGPORT, PGHOST… from the caller's shell would redirect the tools.
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
}

async function run(bin: string, runAs: RunAs, tool: string, args: string[], cwd: string): Promise<void> {
  const [file, argv] = command(bin, runAs, tool, args);
  try {
    await execFileP(file, argv, { cwd, env: cleanEnv(), timeout: 60_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`${tool} failed: ${stderr.trim()}`, { cause: err });
  }
}

async function stopCluster(bin: string, runAs: RunAs, cluster: LiveCluster): Promise<void> {
  // Skipping pg_ctl for a dead server matters: it polls a pid file nobody will remove.
  if (runningPostmaster(cluster.dataDir) !== undefined) {
    await run(
      bin,
      runAs,
      'pg_ctl',
      ['-D', cluster.dataDir, '-m', 'immediate', '-w', '-t', '15', 'stop'],
      cluster.dir,
    ).catch(() => killPostmaster(cluster.dataDir));
  }
  await fsp.rm(cluster.dir, { recursive: true, force: true });
  live.delete(cluster);
}

function installExitHook(bin: string, runAs: RunAs): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of live) {
      try {
        const [file, argv] = command(bin, runAs, 'pg_ctl', [
          '-D',
          cluster.dataDir,
          '-m',
          'immediate',
          'stop',
        ]);
        execFileSync(file, argv, { cwd: cluster.dir, env: cleanEnv(), stdio: 'ignore', timeout: 10_000 });
      } catch {
        killPostmaster(cluster.dataDir);
      }
      fs.rmSync(cluster.dir, { recursive: true, force: true });
    }
  });
}

// A runner killed with SIGKILL runs no exit hook; the next start removes what it left behind.
async function sweepStaleClusters(): Promise<void> {
  const base = baseTmpDir();
  const entries = await fsp.readdir(base).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith(DIR_PREFIX))) {
    const dir = path.join(base, entry);
    const owner = await fsp
      .readFile(path.join(dir, OWNER_FILE), 'utf8')
      .then((text) => (JSON.parse(text) as { pid: number }).pid)
      .catch(() => undefined);
    if (owner === undefined) {
      // Between mkdtemp and writing the owner file; only very old ones are abandoned.
      const stat = await fsp.stat(dir).catch(() => undefined);
      if (!stat || Date.now() - stat.mtimeMs < 10 * 60_000) continue;
    } else if (isAlive(owner)) continue;
    killPostmaster(path.join(dir, 'data'));
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function killPostmaster(dataDir: string): void {
  const pid = runningPostmaster(dataDir);
  // SIGQUIT is what `pg_ctl stop -m immediate` sends.
  try {
    if (pid !== undefined) process.kill(pid, 'SIGQUIT');
  } catch {
    // Exited in the meantime.
  }
}

/** The pid in `postmaster.pid` if that process is a live (not zombie) postgres; Linux /proc. */
function runningPostmaster(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // Make sure the pid was not reused by something else.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return cmdline.includes('postgres') && state !== 'Z' ? pid : undefined;
  } catch {
    return undefined; // No pid file, or the process is gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function logTail(dir: string): Promise<string> {
  const log = await fsp.readFile(path.join(dir, 'postgres.log'), 'utf8').catch(() => '');
  return log.split('\n').slice(-15).join('\n').trim() || '(no server log)';
}
