import type { Db } from './database.js';
import type { WebhookAttemptLog, WebhookDeliveryStatus } from './webhook-delivery.table.js';

export interface WebhookDeliveryView {
  id: string;
  event: string;
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  log: Array<{
    attempt: number;
    at: string;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
  }>;
}

/** Reads the delivery log of a job (the caller checks that the job is the user's). */
export class WebhookDeliveryRepository {
  constructor(private readonly db: Db) {}

  async listForJob(jobId: string): Promise<WebhookDeliveryView[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      event: row.event,
      url: row.url,
      status: row.status,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
      nextAttemptAt: row.status === 'pending' ? new Date(Number(row.next_attempt_at)).toISOString() : null,
      lastStatusCode: row.last_status_code,
      lastError: row.last_error,
      createdAt: new Date(Number(row.created_at)).toISOString(),
      deliveredAt: row.delivered_at === null ? null : new Date(Number(row.delivered_at)).toISOString(),
      log: (JSON.parse(row.log) as WebhookAttemptLog[]).map((entry) => ({
        ...entry,
        at: new Date(entry.at).toISOString(),
      })),
    }));
  }
}
