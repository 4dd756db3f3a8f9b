import { randomBytes } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { AppError, toError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../db/database.js';
import { claimWebhooks, type WebhookDeliveryRow } from '../db/webhooks/claim-webhooks.js';
import { enqueueWebhooks } from '../db/webhooks/enqueue-webhooks.js';
import { recordWebhookAttempt } from '../db/webhooks/record-webhook-attempt.js';
import type { WebhookAttemptLog } from '../db/webhook-delivery.table.js';
import type { EgressPolicy } from '../security/egress/egress-policy.js';
import { parseOutboundUrl, urlIpLiteral, urlPort } from '../security/egress/egress-url.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** What a delivery's body carries besides the event: the import as `GET /v1/imports/:id` shows it. */
export interface WebhookJobSource {
  /** The import view (fresh presigned URLs) and the webhook's sealed secret, or undefined when the job is gone. */
  load(
    jobId: string,
  ): Promise<{ view: unknown; userId: string; secretSealed: string | undefined } | undefined>;
  /** Opens a secret sealed by `ImportService.sealSecret`. */
  openSecret(userId: string, sealed: string): string;
}

export interface WebhookDispatcherOptions {
  readonly database: Database;
  readonly policy: EgressPolicy;
  /** From `createEgressDispatcher(policy)`: every connection is checked on its resolved address. */
  readonly dispatcher: Dispatcher;
  readonly jobs: WebhookJobSource;
  readonly logger: Logger;
  /** Delay before the first retry; each later one is 4× longer, capped at 6 h. */
  readonly backoffSeconds: number;
  readonly maxAttempts: number;
  readonly pollMs?: number;
  /** Whole-request budget per attempt. Default 10 s. */
  readonly timeoutMs?: number;
  /** Deliveries sent at once by this process. Default 8. */
  readonly concurrency?: number;
  readonly onAttempt?: (outcome: 'delivered' | 'retrying' | 'failed') => void;
}

const MAX_BACKOFF_MS = 6 * 3600_000;
const SWEEP_EVERY_MS = 1000;

/** The delay after failed attempt `attempt` (1-based): base × 4^(attempt−1), ±10 % jitter, at most 6 h. */
export function webhookBackoffMs(attempt: number, baseSeconds: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseSeconds * 1000 * 4 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.9 + Math.random() * 0.2));
}

type AttemptResult = { statusCode: number | null; error: string | null; permanent: boolean };

/**
 * Delivers webhooks from the `webhook_deliveries` table; runs in every process that runs workers.
 * Each loop turn creates delivery rows for newly finished jobs (`enqueueWebhooks`), claims due
 * deliveries under a lease and POSTs them, signed, through the egress dispatcher. No redirects are
 * followed (a 3xx is a failed attempt). A target the egress policy refuses, or that is not a valid
 * URL, fails at once without retries: it could never succeed.
 */
export class WebhookDispatcher {
  readonly workerId = `wh_${process.pid}_${randomBytes(4).toString('hex')}`;
  private stopping = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nextSweep = 0;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** A job just finished in this process: look for new deliveries now. */
  notify(): void {
    this.nextSweep = 0;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { database, logger } = this.options;
    const concurrency = this.options.concurrency ?? 8;
    while (!this.stopping) {
      try {
        if (Date.now() >= this.nextSweep) {
          this.nextSweep = Date.now() + SWEEP_EVERY_MS;
          await enqueueWebhooks(database.db, { maxAttempts: this.options.maxAttempts });
        }
        const claimed = await claimWebhooks(database.db, database.capabilities, this.workerId, {
          limit: concurrency,
          leaseMs: (this.options.timeoutMs ?? 10_000) * 3,
        });
        await Promise.all(claimed.map((row) => this.deliver(row)));
        if (claimed.length < concurrency) await this.idle(this.options.pollMs ?? 500);
      } catch (error) {
        // The database went away (PostgreSQL restarting): wait and try again.
        logger.warn({ err: toError(error) }, 'webhook loop error');
        await this.idle(2000);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async deliver(row: WebhookDeliveryRow): Promise<void> {
    const logger = this.options.logger.child({
      deliveryId: row.id,
      jobId: row.job_id,
      attempt: row.attempts,
    });
    const startedAt = Date.now();
    let result: AttemptResult;
    try {
      result = await this.attempt(row);
    } catch (error) {
      result = { statusCode: null, error: 'INTERNAL', permanent: false };
      logger.error({ err: toError(error) }, 'webhook attempt crashed');
    }
    const entry: WebhookAttemptLog = {
      attempt: row.attempts,
      at: startedAt,
      durationMs: Date.now() - startedAt,
      statusCode: result.statusCode,
      error: result.error,
    };
    const delivered = result.error === null;
    const exhausted = row.attempts >= row.max_attempts;
    const status = delivered ? 'delivered' : result.permanent || exhausted ? 'failed' : 'pending';
    const retryAt =
      status === 'pending' ? Date.now() + webhookBackoffMs(row.attempts, this.options.backoffSeconds) : null;
    await recordWebhookAttempt(this.options.database.db, row, this.workerId, entry, { status, retryAt });
    this.options.onAttempt?.(status === 'pending' ? 'retrying' : status);
    const fields = {
      event: row.event,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: entry.durationMs,
    };
    if (delivered) logger.info(fields, 'webhook delivered');
    else
      logger.warn(
        { ...fields, retryAt },
        status === 'failed' ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
      );
  }

  private async attempt(row: WebhookDeliveryRow): Promise<AttemptResult> {
    let url: URL;
    try {
      url = parseOutboundUrl(row.url);
      // Fail fast on literal hosts; the dispatcher checks again on the socket (and checks names).
      const literal = urlIpLiteral(url);
      if (literal !== undefined) this.options.policy.checkAddress(literal, urlPort(url), literal);
    } catch (error) {
      return {
        statusCode: null,
        error: error instanceof AppError ? error.code : 'INVALID_URL',
        permanent: true,
      };
    }
    const loaded = await this.options.jobs.load(row.job_id);
    if (loaded === undefined) return { statusCode: null, error: 'IMPORT_NOT_FOUND', permanent: true };
    let secret: string | undefined;
    if (loaded.secretSealed !== undefined) {
      try {
        secret = this.options.jobs.openSecret(loaded.userId, loaded.secretSealed);
      } catch {
        return { statusCode: null, error: 'SECRET_UNAVAILABLE', permanent: true };
      }
    }
    const body = JSON.stringify({
      id: row.id,
      type: row.event,
      createdAt: new Date(Number(row.created_at)).toISOString(),
      attempt: row.attempts,
      data: loaded.view,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'bucketload-webhooks/0.1',
      'bucketload-event': row.event,
      'bucketload-delivery': row.id,
    };
    if (secret !== undefined)
      headers[SIGNATURE_HEADER] = signWebhook(secret, body, Math.floor(Date.now() / 1000));
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.options.dispatcher,
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return {
        statusCode: response.statusCode,
        error: ok ? null : `HTTP_${response.statusCode}`,
        permanent: false,
      };
    } catch (error) {
      const denied = findAppError(error);
      if (denied !== undefined)
        return {
          statusCode: null,
          error: denied.code,
          permanent: denied.code === 'EGRESS_DENIED' || denied.code === 'INVALID_URL',
        };
      const name = (error as { name?: string }).name ?? '';
      const timedOut = name === 'TimeoutError' || /Timeout/i.test((error as { code?: string }).code ?? '');
      return {
        statusCode: null,
        error: timedOut ? 'WEBHOOK_TIMEOUT' : 'WEBHOOK_UNREACHABLE',
        permanent: false,
      };
    }
  }
}

function findAppError(error: unknown): AppError | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 6; depth += 1) {
    if (e instanceof AppError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
