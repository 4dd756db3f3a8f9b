import type { Db } from '../database.js';
import type { JobError } from '../../jobs/job.js';

/**
 * Ends an attempt that failed. A retryable failure with attempts left goes back to `queued` with
 * `run_at` pushed out by the backoff; anything else is final. Only the lease holder may do this.
 */
export async function failJob(
  db: Db,
  jobId: string,
  workerId: string,
  failure: { error: JobError; retryAt: number | null; canceled?: boolean },
  now: number = Date.now(),
): Promise<'retrying' | 'failed' | 'canceled' | 'lost'> {
  const status = failure.canceled === true ? 'canceled' : failure.retryAt === null ? 'failed' : 'queued';
  const updated = await db
    .updateTable('jobs')
    .set({
      status,
      phase: null,
      error: JSON.stringify(failure.error),
      lease_owner: null,
      lease_expires_at: null,
      run_at: failure.retryAt ?? now,
      updated_at: now,
      ...(status === 'queued' ? {} : { finished_at: now }),
    })
    .where('id', '=', jobId)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return 'lost';
  return status === 'queued' ? 'retrying' : status;
}

/** Exponential backoff with full jitter: attempt 1 → up to 2 s, 2 → 4 s, … capped at 5 min. */
export function backoffMs(attempt: number, baseMs = 2000, capMs = 300_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
