import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import { createPgDatabase, dropPgDatabase } from './postgres.js';

// Run the same specs on both databases, like kysely's test setup loops over dialects:
//
//   describe.each(testDatabases())('jobs on $name', ({ makeUrl }) => { … });
//
// Everything made here is removed after the importing test file (afterAll registered on import).

export type TestDatabaseName = 'sqlite' | 'postgres';

export interface TestDatabase {
  readonly name: TestDatabaseName;
  /** A fresh, empty database owned by the caller: a new SQLite file or a new PostgreSQL database. */
  readonly makeUrl: () => Promise<string>;
}

const tempDirs: string[] = [];
const pgDatabases: Array<{ adminUrl: string; name: string }> = [];

afterAll(async () => {
  // FORCE drops a database a leaked pool still holds; the pool sees an error, the run stays clean.
  await Promise.all(pgDatabases.splice(0).map(({ adminUrl, name }) => dropPgDatabase(adminUrl, name)));
  await Promise.all(tempDirs.splice(0).map((dir) => fsp.rm(dir, { recursive: true, force: true })));
});

export function testDatabases(): TestDatabase[] {
  return [
    {
      name: 'sqlite',
      makeUrl: async () => `sqlite://${path.join(await tempDir('db-'), 'bucketload.db')}`,
    },
    {
      name: 'postgres',
      makeUrl: async () => {
        const adminUrl = inject('pgUrl');
        const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
        const url = await createPgDatabase(adminUrl, name);
        pgDatabases.push({ adminUrl, name });
        return url;
      },
    },
  ];
}

/** A new empty directory under the OS temp dir, removed after the current test file. */
export async function tempDir(prefix = 'tmp-'): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `bucketload-test-${prefix}`));
  tempDirs.push(dir);
  return dir;
}
