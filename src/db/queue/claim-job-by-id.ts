import type { Db } from '../database.js';
import type { JobRow } from '../job-row.js';
import { claimable, leaseSet } from './claim-job.js';

/**
 * Claims one given job for `workerId`, with the same conditions and lease as `db/queue/claim-job.ts`
 * (queued and due, or running with an expired lease and attempts left; never a canceled one).
 * `bucketload import` runs its own job this way instead of claiming "the next job", so it never
 * picks up work queued by a server that shares the database. Answers undefined when the job is not
 * claimable now (backing off, held by another worker, finished).
 */
export async function claimJobById(
  db: Db,
  jobId: string,
  workerId: string,
  leaseMs: number,
  now: number = Date.now(),
): Promise<JobRow | undefined> {
  return db
    .updateTable('jobs')
    .set(leaseSet(workerId, leaseMs, now))
    .where('id', '=', jobId)
    .where(claimable(now))
    .returningAll()
    .executeTakeFirst();
}
