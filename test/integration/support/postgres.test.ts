import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { createPgDatabase, dropPgDatabase, startPostgres } from '../../support/postgres.js';

// Real: the run's PostgreSQL cluster, a second throwaway cluster, SQLite files on disk.

async function selectOne(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ one: number }>('select 1 as one');
    return result.rows[0]?.one ?? 0;
  } finally {
    await client.end();
  }
}

describe('postgres harness (real PostgreSQL)', () => {
  it('creates a fresh database that answers select 1, then drops it', async () => {
    const adminUrl = inject('pgUrl');
    const name = `t_support_${process.pid}`;
    const url = await createPgDatabase(adminUrl, name);
    expect(new URL(url).pathname).toBe(`/${name}`);
    expect(await selectOne(url)).toBe(1);
    await dropPgDatabase(adminUrl, name);
    await expect(selectOne(url)).rejects.toThrow(/does not exist/);
  });

  it('refuses database names that would need quoting', async () => {
    await expect(createPgDatabase(inject('pgUrl'), 'x"; drop')).rejects.toThrow(/unsafe/);
  });

  it('starts a throwaway cluster on loopback and stop() removes its dir', async () => {
    const cluster = await startPostgres();
    try {
      expect(new URL(cluster.url).hostname).toBe('127.0.0.1');
      expect(await selectOne(cluster.url)).toBe(1);
      const client = new pg.Client({ connectionString: cluster.url });
      await client.connect();
      const { rows } = await client.query<{ max_connections: string; fsync: string }>(
        "select current_setting('max_connections') as max_connections, current_setting('fsync') as fsync",
      );
      await client.end();
      expect(rows[0]).toEqual({ max_connections: '200', fsync: 'off' });
      expect(fs.existsSync(path.join(cluster.dir, 'data', 'PG_VERSION'))).toBe(true);
    } finally {
      await cluster.stop();
    }
    expect(fs.existsSync(cluster.dir)).toBe(false);
    await expect(selectOne(cluster.url)).rejects.toThrow();
    await cluster.stop(); // Idempotent.
  });

  it('stop() still cleans up when the server died on its own', async () => {
    const cluster = await startPostgres();
    const pid = Number(
      fs.readFileSync(path.join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    process.kill(pid, 'SIGKILL');
    await cluster.stop();
    expect(fs.existsSync(cluster.dir)).toBe(false);
  });

  it('a later start removes a cluster whose runner was killed', async () => {
    const orphan = await startPostgres();
    // Pretend its owner died without running any exit hook (SIGKILL).
    const child = spawn('true');
    await once(child, 'exit');
    fs.writeFileSync(path.join(orphan.dir, 'owner.json'), JSON.stringify({ pid: child.pid }));
    const next = await startPostgres();
    try {
      expect(fs.existsSync(orphan.dir)).toBe(false);
      await expect(selectOne(orphan.url)).rejects.toThrow();
    } finally {
      await next.stop();
      await orphan.stop();
    }
  });
});

describe.each(testDatabases())('testDatabases(): $name', ({ name, makeUrl }) => {
  it('makes a fresh database url each time', async () => {
    const [a, b] = await Promise.all([makeUrl(), makeUrl()]);
    expect(a).not.toBe(b);
    if (name === 'sqlite') {
      expect(a).toMatch(/^sqlite:\/\/\/.+\.db$/);
      expect(fs.existsSync(path.dirname(a.slice('sqlite://'.length)))).toBe(true);
    } else {
      expect(await selectOne(a)).toBe(1);
    }
  });
});
