import type { Db } from '../database.js';
import type { JobPhase } from '../../jobs/job-types.js';

export interface HeartbeatUpdate {
  readonly phase?: JobPhase;
  readonly progress?: {
    readonly bytes: number;
    readonly totalBytes: number | null;
    readonly percent: number | null;
  };
}

/**
 * Extends the lease and records progress. Answers whether the worker still holds the lease and
 * whether a cancel was requested, so the worker stops work that is no longer its own.
 */
export async function heartbeatJob(
  db: Db,
  jobId: string,
  workerId: string,
  leaseMs: number,
  update: HeartbeatUpdate = {},
  now: number = Date.now(),
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const row = await db
    .updateTable('jobs')
    .set({
      lease_expires_at: now + leaseMs,
      updated_at: now,
      ...(update.phase === undefined ? {} : { phase: update.phase }),
      ...(update.progress === undefined
        ? {}
        : {
            progress_bytes: update.progress.bytes,
            progress_total: update.progress.totalBytes,
            progress_percent: update.progress.percent,
          }),
    })
    .where('id', '=', jobId)
    .where('lease_owner', '=', workerId)
    .where('status', '=', 'running')
    .returning(['cancel_requested'])
    .executeTakeFirst();
  return { held: row !== undefined, cancelRequested: row?.cancel_requested === 1 };
}
