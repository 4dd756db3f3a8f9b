/**
 * A throwaway PostgreSQL cluster for the benchmarks (the same recipe as test/support/postgres.ts):
 * initdb into a temp dir (as the `postgres` user when we are root: initdb refuses root), a server on
 * 127.0.0.1 and a free port with fsync off, stopped with `-m immediate` and removed by `stop()`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { atExit, freePort } from './processes.mjs';

const execFileP = promisify(execFile);

function pgBin() {
  if (process.env.BUCKETLOAD_TEST_PG_BIN) return process.env.BUCKETLOAD_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const newest = (fs.existsSync(root) ? fs.readdirSync(root) : [])
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL under ${root} (apt-get install -y postgresql)`);
  return path.join(root, newest, 'bin');
}

function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
}

export async function startPostgres() {
  const bin = pgBin();
  const root = process.getuid?.() === 0;
  // As root, the dir must be reachable by the postgres user: /tmp, not a private TMPDIR.
  const dir = fs.mkdtempSync(path.join(root ? '/tmp' : os.tmpdir(), 'bucketload-bench-pg-'));
  const dataDir = path.join(dir, 'data');
  if (root) {
    const [uid, gid] = await Promise.all([
      execFileP('id', ['-u', 'postgres']),
      execFileP('id', ['-g', 'postgres']),
    ]);
    fs.chownSync(dir, Number(uid.stdout), Number(gid.stdout));
  }
  const run = async (tool, args) => {
    const exe = path.join(bin, tool);
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    try {
      await execFileP(file, argv, { cwd: dir, env: cleanEnv(), timeout: 60_000 });
    } catch (error) {
      throw new Error(`${tool} failed: ${error.stderr ?? error.message}`, { cause: error });
    }
  };
  const stopNow = () => {
    try {
      const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) process.kill(pid, 'SIGQUIT');
    } catch {
      // not running
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const release = atExit(stopNow);
  await run('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '-A',
    'trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
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
  await run('pg_ctl', [
    '-w',
    '-t',
    '30',
    '-D',
    dataDir,
    '-l',
    path.join(dir, 'postgres.log'),
    '-o',
    options,
    'start',
  ]);
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const withClient = async (url, fn) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl,
    /** Creates a database and returns its URL. */
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name ${name}`);
      await withClient(adminUrl, (c) => c.query(`create database "${name}"`));
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    query: (url, text, params) => withClient(url, (c) => c.query(text, params)),
    async stop() {
      await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '15', 'stop']).catch(
        () => undefined,
      );
      stopNow();
      release();
    },
  };
}
