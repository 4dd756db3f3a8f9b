import type { Db } from '../database.js';

/**
 * Hands a running job back to the queue at once (graceful shutdown): `queued`, claimable now, and the
 * attempt given back, since a worker going away is not the job's fault. Only the lease holder may do
 * this; a job whose lease was already taken over is left alone. Without this the job would wait for
 * its lease to expire before another worker could claim it.
 */
export async function releaseJob(
  db: Db,
  jobId: string,
  workerId: string,
  now: number = Date.now(),
): Promise<boolean> {
  const updated = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'queued',
      phase: null,
      lease_owner: null,
      lease_expires_at: null,
      run_at: now,
      attempts: eb
        .case()
        .when('attempts', '>', 0)
        .then(eb('attempts', '-', 1))
        .else(0)
        .end(),
      updated_at: now,
    }))
    .where('id', '=', jobId)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}
