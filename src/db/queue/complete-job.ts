import type { Insertable } from 'kysely';
import type { Db } from '../database.js';
import type { JobFileTable } from '../job-file.table.js';
import type { JobResultSummary, JobSource } from '../../jobs/job.js';

/**
 * Marks the job completed with its files, in one transaction, only if `workerId` still holds the
 * lease: a worker whose lease was taken over must not overwrite the new owner's result.
 */
export async function completeJob(
  db: Db,
  jobId: string,
  workerId: string,
  outcome: {
    result: JobResultSummary;
    source: JobSource | null;
    files: Insertable<JobFileTable>[];
    finalBytes: number;
  },
  now: number = Date.now(),
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('jobs')
      .set({
        status: 'completed',
        phase: null,
        result: JSON.stringify(outcome.result),
        source: outcome.source === null ? null : JSON.stringify(outcome.source),
        error: null,
        lease_owner: null,
        lease_expires_at: null,
        progress_bytes: outcome.finalBytes,
        progress_total: outcome.finalBytes,
        progress_percent: 100,
        finished_at: now,
        updated_at: now,
      })
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await trx.deleteFrom('job_files').where('job_id', '=', jobId).execute();
    if (outcome.files.length > 0) await trx.insertInto('job_files').values(outcome.files).execute();
    return true;
  });
}
