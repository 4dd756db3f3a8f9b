import type { Db } from '../database.js';

/**
 * Jobs whose lease expired with no attempts left would never be claimed again: fail them with
 * WORKER_LOST. Queued jobs whose cancel was requested are finished as canceled.
 */
export async function expireJobs(db: Db, now: number = Date.now()): Promise<number> {
  const lost = await db
    .updateTable('jobs')
    .set({
      status: 'failed',
      phase: null,
      error: JSON.stringify({
        code: 'WORKER_LOST',
        message: 'The import was interrupted too many times and gave up.',
      }),
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where('status', '=', 'running')
    .where('kind', '=', 'import')
    .where('lease_expires_at', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .executeTakeFirst();
  const canceled = await db
    .updateTable('jobs')
    .set({
      status: 'canceled',
      phase: null,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where('cancel_requested', '=', 1)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', now)]),
      ]),
    )
    .executeTakeFirst();
  return Number(lost.numUpdatedRows) + Number(canceled.numUpdatedRows);
}
