import type { Db } from '../database.js';
import type { DialectCapabilities } from '../dialect-capabilities.js';
import { type JobRow } from '../job-row.js';

/**
 * Claims the next runnable job for `workerId`: a queued job whose `run_at` has come, or a running
 * job whose lease expired (its worker died) and that has attempts left. The claim and the lease are
 * one UPDATE so two workers can never hold the same job; on PostgreSQL the sub-select skips rows
 * another transaction is claiming instead of waiting on them.
 */
export async function claimJob(
  db: Db,
  caps: DialectCapabilities,
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
    .where('id', '=', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
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
        .where('kind', '=', 'import')
        .where('cancel_requested', '=', 0)
        .orderBy('run_at')
        .orderBy('created_at')
        .limit(1)
        .$if(caps.skipLocked, (qb) => qb.forUpdate().skipLocked()),
    )
    .returningAll()
    .executeTakeFirst();
}
