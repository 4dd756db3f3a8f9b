// Real parts: SQLite and PostgreSQL; the queue's SQL operations exercised directly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/db/database.js';
import { JobRepository } from '../../../src/db/job.repository.js';
import { migrateToLatest } from '../../../src/db/migrate.js';
import { claimJob } from '../../../src/db/queue/claim-job.js';
import { claimJobById } from '../../../src/db/queue/claim-job-by-id.js';
import { completeJob } from '../../../src/db/queue/complete-job.js';
import { expireJobs } from '../../../src/db/queue/expire-jobs.js';
import { backoffMs, failJob } from '../../../src/db/queue/fail-job.js';
import { heartbeatJob } from '../../../src/db/queue/heartbeat-job.js';
import { UserRepository } from '../../../src/db/user.repository.js';
import type { ImportRequest } from '../../../src/jobs/import-request.js';
import { testDatabases } from '../../support/databases.js';

const request = (n: number): ImportRequest => ({
  url: `http://127.0.0.1:9/${n}`,
  destination: { kind: 'managed' },
  outputs: ['file'],
  playlist: false,
  ifExists: 'overwrite',
  presignExpiresIn: 60,
  keyStyle: 'native',
});

describe.each(testDatabases())('the jobs queue on $name', ({ makeUrl }) => {
  let database: Database;
  let jobs: JobRepository;
  let userId: string;

  beforeAll(async () => {
    database = openDatabase(await makeUrl(), { poolSize: 12 });
    await migrateToLatest(database.db);
    jobs = new JobRepository(database.db);
    userId = (await new UserRepository(database.db).create(`q${Date.now()}`, false)).id;
  });
  afterAll(async () => {
    await database?.close();
  });

  it('hands each job to exactly one of many concurrent claimers', async () => {
    const created = new Set<string>();
    for (let n = 0; n < 30; n += 1)
      created.add((await jobs.create({ userId, request: request(n), maxAttempts: 3 })).job.id);
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < 40; i += 1) {
          const row = await claimJob(database.db, database.capabilities, `w${w}`, 60_000);
          if (row === undefined) return;
          claimed.push(row.id);
        }
      }),
    );
    expect(claimed.length).toBe(created.size);
    expect(new Set(claimed)).toEqual(created);
  });

  it('only the lease holder may heartbeat, complete or fail a job', async () => {
    const { job } = await jobs.create({ userId, request: request(100), maxAttempts: 3 });
    const row = await claimJobById(database.db, job.id, 'owner', 60_000);
    expect(row?.attempts).toBe(1);
    expect((await heartbeatJob(database.db, job.id, 'intruder', 60_000)).held).toBe(false);
    expect(
      (
        await heartbeatJob(database.db, job.id, 'owner', 60_000, {
          phase: 'fetching',
          progress: { bytes: 5, totalBytes: 10, percent: 50 },
        })
      ).held,
    ).toBe(true);
    const outcome = { result: { storage: 'managed' as const }, source: null, files: [], finalBytes: 10 };
    expect(await completeJob(database.db, job.id, 'intruder', outcome)).toBe(false);
    expect(
      await failJob(database.db, job.id, 'intruder', { error: { code: 'X', message: 'x' }, retryAt: null }),
    ).toBe('lost');
    expect(await completeJob(database.db, job.id, 'owner', outcome)).toBe(true);
    expect((await jobs.findById(job.id))?.status).toBe('completed');
  });

  it('retries with backoff: a failed attempt is not claimable before its run_at', async () => {
    const { job } = await jobs.create({ userId, request: request(200), maxAttempts: 3 });
    await claimJobById(database.db, job.id, 'w', 60_000);
    const retryAt = Date.now() + 60_000;
    expect(
      await failJob(database.db, job.id, 'w', { error: { code: 'SOURCE_TIMEOUT', message: 't' }, retryAt }),
    ).toBe('retrying');
    expect(await claimJobById(database.db, job.id, 'w2', 60_000)).toBeUndefined();
    expect((await claimJobById(database.db, job.id, 'w2', 60_000, retryAt + 1))?.attempts).toBe(2);
    for (let attempt = 1; attempt <= 8; attempt += 1) {
      const delay = backoffMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(Math.min(300_000, 2000 * 2 ** (attempt - 1)) / 2);
      expect(delay).toBeLessThanOrEqual(300_000);
    }
  });

  it('reclaims an expired lease, and gives up with WORKER_LOST after the last attempt', async () => {
    const { job } = await jobs.create({ userId, request: request(300), maxAttempts: 2 });
    const t0 = Date.now();
    await claimJobById(database.db, job.id, 'dead-1', 1000, t0);
    expect(await claimJobById(database.db, job.id, 'w', 1000, t0 + 500)).toBeUndefined();
    const second = await claimJobById(database.db, job.id, 'dead-2', 1000, t0 + 1500);
    expect(second?.attempts).toBe(2);
    expect(second?.lease_owner).toBe('dead-2');
    expect(await claimJobById(database.db, job.id, 'w', 1000, t0 + 3000)).toBeUndefined();
    expect(await expireJobs(database.db, t0 + 3000)).toBeGreaterThanOrEqual(1);
    const failed = await jobs.findById(job.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.code).toBe('WORKER_LOST');
  });

  it('cancel stops a queued job at once and flags a running one', async () => {
    const queued = (await jobs.create({ userId, request: request(400), maxAttempts: 3 })).job;
    expect((await jobs.requestCancel(userId, queued.id))?.status).toBe('canceled');
    expect(await claimJobById(database.db, queued.id, 'w', 60_000)).toBeUndefined();
    const running = (await jobs.create({ userId, request: request(401), maxAttempts: 3 })).job;
    await claimJobById(database.db, running.id, 'w', 60_000);
    await jobs.requestCancel(userId, running.id);
    expect((await heartbeatJob(database.db, running.id, 'w', 60_000)).cancelRequested).toBe(true);
  });
});
