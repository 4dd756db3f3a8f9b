import type { Db } from '../database.js';
import type { JobRow } from '../job-row.js';

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
    .set((eb) => ({
      status: 'running',
      lease_owner: workerId,
      lease_expires_at: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.val(now)),
      updated_at: now,
    }))
    .where('id', '=', jobId)
    .where('kind', '=', 'import')
    .where('cancel_requested', '=', 0)
    .where((w) =>
      w.or([
        w.and([w('status', '=', 'queued'), w('run_at', '<=', now)]),
        w.and([
          w('status', '=', 'running'),
          w('lease_expires_at', '<', now),
          w('attempts', '<', w.ref('max_attempts')),
        ]),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
}
