import { newId } from '../../core/ids.js';
import type { ImportRequest } from '../../jobs/import-request.js';
import type { Db } from '../database.js';

/** How far back the outbox looks for finished jobs without a delivery row. */
export const OUTBOX_WINDOW_MS = 24 * 3600_000;

/**
 * The webhook outbox, by query: finished jobs (completed, failed, canceled) whose request has a
 * webhook and that have no delivery row yet get one, due now. Because it is a query over the jobs
 * table and not a step after `completeJob`, no final state is missed however it was reached (a
 * worker that died right after committing, a cancel answered by an API process, a lease that ran
 * out of attempts). The unique (job_id, event) index makes concurrent sweeps by several workers
 * harmless. Returns how many deliveries were created.
 */
export async function enqueueWebhooks(
  db: Db,
  options: { maxAttempts: number; limit?: number },
  now: number = Date.now(),
): Promise<number> {
  const candidates = await db
    .selectFrom('jobs')
    .select(['id', 'user_id', 'status', 'request'])
    .where('status', 'in', ['completed', 'failed', 'canceled'])
    .where('finished_at', '>=', now - OUTBOX_WINDOW_MS)
    // Cheap pre-filter on the stored JSON; the parse below decides.
    .where('request', 'like', '%"webhook":{%')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('webhook_deliveries')
            .select('webhook_deliveries.id')
            .whereRef('webhook_deliveries.job_id', '=', 'jobs.id'),
        ),
      ),
    )
    .orderBy('finished_at')
    .limit(options.limit ?? 200)
    .execute();
  let created = 0;
  for (const job of candidates) {
    const url = (JSON.parse(job.request) as ImportRequest).webhook?.url;
    if (url === undefined) continue;
    const result = await db
      .insertInto('webhook_deliveries')
      .values({
        id: newId('whd'),
        job_id: job.id,
        user_id: job.user_id,
        event: `import.${job.status}`,
        url,
        status: 'pending',
        attempts: 0,
        max_attempts: options.maxAttempts,
        next_attempt_at: now,
        lease_owner: null,
        lease_expires_at: null,
        last_status_code: null,
        last_error: null,
        log: '[]',
        created_at: now,
        updated_at: now,
        delivered_at: null,
      })
      .onConflict((oc) => oc.columns(['job_id', 'event']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (result !== undefined) created += 1;
  }
  return created;
}
