import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import type { DialectCapabilities } from '../dialect-capabilities.js';
import type { WebhookDeliveryTable } from '../webhook-delivery.table.js';

export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;

/**
 * Claims up to `limit` due deliveries for `workerId` with a lease, counting the attempt: the same
 * claim-by-UPDATE as the job queue, so two workers never send one attempt twice (a worker that dies
 * mid-request leaves a lease that expires, and the attempt is made again).
 */
export async function claimWebhooks(
  db: Db,
  caps: DialectCapabilities,
  workerId: string,
  options: { limit: number; leaseMs: number },
  now: number = Date.now(),
): Promise<WebhookDeliveryRow[]> {
  return db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      lease_owner: workerId,
      lease_expires_at: now + options.leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(options.limit)
        .$if(caps.skipLocked, (qb) => qb.forUpdate().skipLocked()),
    )
    .returningAll()
    .execute();
}
