import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { DatabaseSchema } from './database-schema.js';
import {
  POSTGRES_CAPABILITIES,
  SQLITE_CAPABILITIES,
  type DialectCapabilities,
} from './dialect-capabilities.js';

export type Db = Kysely<DatabaseSchema>;

export interface Database {
  readonly db: Db;
  readonly capabilities: DialectCapabilities;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// pg returns int8 (bigint) as strings to be safe above 2^53; our bigints are epoch ms and byte
// counts, far below that, so read them as numbers on both dialects.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Open `sqlite:///abs/file.db` (WAL, busy timeout) or `postgres://…` (a pool). */
export function openDatabase(url: string, options: { poolSize?: number } = {}): Database {
  if (url.startsWith('sqlite://')) {
    const file = url.slice('sqlite://'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<DatabaseSchema>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    });
    return makeDatabase(db, SQLITE_CAPABILITIES);
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    // A restarted PostgreSQL drops idle clients; without a listener the pool's 'error' event
    // would crash the process. The next query gets a fresh connection.
    pool.on('error', () => {});
    // A checked-out client whose server goes away between queries (e.g. inside a transaction)
    // emits 'error' on itself, where the pool's listener does not reach: without this the process
    // crashes on a PostgreSQL restart. The query in flight, if any, still rejects with the error.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    return makeDatabase(db, POSTGRES_CAPABILITIES);
  }
  throw new Error('database URL must start with sqlite:// or postgres://');
}

function makeDatabase(db: Db, capabilities: DialectCapabilities): Database {
  return {
    db,
    capabilities,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew (about 0.15 ms per API submission); the same few
 * SQL texts recur, so keep their prepared statements (bounded, oldest dropped first).
 */
function withStatementCache(sqlite: SQLite.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare(sqlText: string) {
      let statement = cache.get(sqlText);
      if (statement === undefined) {
        statement = sqlite.prepare(sqlText);
        if (cache.size >= max) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}
