export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTable {
  id: string;
  job_id: string;
  user_id: string;
  /** `import.completed`, `import.failed` or `import.canceled`. */
  event: string;
  /** The target as the user gave it (checked against the egress policy at every attempt). */
  url: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  max_attempts: number;
  /** Epoch ms when the next attempt is due. */
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  /** JSON array of `WebhookAttemptLog`, one per attempt. */
  log: string;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface WebhookAttemptLog {
  readonly attempt: number;
  /** Epoch ms. */
  readonly at: number;
  readonly durationMs: number;
  readonly statusCode: number | null;
  /** A catalogue code (`EGRESS_DENIED`, `WEBHOOK_TIMEOUT`, …) or `HTTP_<status>`; null on success. */
  readonly error: string | null;
}
