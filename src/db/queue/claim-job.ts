import type { ExpressionBuilder } from 'kysely';
import type { Db } from '../database.js';
import type { DatabaseSchema } from '../database-schema.js';
import type { DialectCapabilities } from '../dialect-capabilities.js';
import { type JobRow } from '../job-row.js';

type JobsExpression = ExpressionBuilder<DatabaseSchema, 'jobs'>;

/**
 * Which jobs may be claimed at `now`: a queued import whose `run_at` has come, or a running one
 * whose lease expired (its worker died) and that has attempts left; never one being canceled.
 */
export function claimable(now: number) {
  return (w: JobsExpression) =>
    w.and([
      w('kind', '=', 'import'),
      w('cancel_requested', '=', 0),
      w.or([
        w.and([w('status', '=', 'queued'), w('run_at', '<=', now)]),
        w.and([
          w('status', '=', 'running'),
          w('lease_expires_at', '<', now),
          w('attempts', '<', w.ref('max_attempts')),
        ]),
      ]),
    ]);
}

/** The columns a claim sets: the lease, one more attempt, the start time. */
export function leaseSet(workerId: string, leaseMs: number, now: number) {
  return (eb: ExpressionBuilder<DatabaseSchema, 'jobs'>) => ({
    status: 'running' as const,
    lease_owner: workerId,
    lease_expires_at: now + leaseMs,
    attempts: eb('attempts', '+', 1),
    started_at: eb.fn.coalesce('started_at', eb.val(now)),
    updated_at: now,
  });
}

/**
 * Claims the next runnable job for `workerId`. The claim and the lease are one UPDATE so two
 * workers can never hold the same job; on PostgreSQL the sub-select skips rows another transaction
 * is claiming instead of waiting on them.
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
    .set(leaseSet(workerId, leaseMs, now))
    .where('id', '=', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
        .where(claimable(now))
        .orderBy('run_at')
        .orderBy('created_at')
        .limit(1)
        .$if(caps.skipLocked, (qb) => qb.forUpdate().skipLocked()),
    )
    .returningAll()
    .executeTakeFirst();
}
