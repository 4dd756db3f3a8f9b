import type { Db } from '../database.js';
import type { WebhookAttemptLog, WebhookDeliveryStatus } from '../webhook-delivery.table.js';

/**
 * Ends one delivery attempt: appends it to the log and sets the delivery delivered, failed (no
 * attempts left, or a target that can never work), or pending again at `retryAt`. Only the lease
 * holder may write; returns false when the lease was lost.
 */
export async function recordWebhookAttempt(
  db: Db,
  delivery: { id: string; log: string },
  workerId: string,
  entry: WebhookAttemptLog,
  next: { status: WebhookDeliveryStatus; retryAt: number | null },
  now: number = Date.now(),
): Promise<boolean> {
  const log = [...(JSON.parse(delivery.log) as WebhookAttemptLog[]), entry];
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({
      status: next.status,
      log: JSON.stringify(log),
      last_status_code: entry.statusCode,
      last_error: entry.error,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
      ...(next.retryAt === null ? {} : { next_attempt_at: next.retryAt }),
      ...(next.status === 'delivered' ? { delivered_at: now } : {}),
    })
    .where('id', '=', delivery.id)
    .where('lease_owner', '=', workerId)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}
