import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';
import type { AttemptEnd } from '../jobs/worker-pool.js';
import { JOB_STATUSES } from '../jobs/job-types.js';
import { onS3Error } from './s3-error-events.js';

/** What the metrics read from a worker pool of this process. */
export interface PoolGauge {
  readonly activeJobs: number;
  readonly concurrency: number;
}

/**
 * The Prometheus metrics of one process (`GET /metrics`, or `worker --metrics-port`). Two kinds:
 *
 * - cluster-wide gauges read from the database at scrape time (jobs by status, queue depth), the
 *   same on every process that shares the database;
 * - this process's own counters (attempt durations, bytes delivered, S3 errors, webhook attempts)
 *   and worker slots. In scale-out mode scrape every worker for these.
 *
 * One registry per runtime (not prom-client's global one), so several runtimes in one process —
 * tests — do not collide.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly pools = new Set<PoolGauge>();
  private readonly unsubscribe: () => void;
  private readonly attemptDuration: Histogram<'outcome'>;
  private readonly bytesMoved: Counter;
  private readonly webhookAttempts: Counter<'outcome'>;

  constructor(database: Database) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'bucketload_' });

    const jobs = new Gauge({
      name: 'bucketload_jobs',
      help: 'Imports by status (from the database, all processes).',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const rows = await database.db
          .selectFrom('jobs')
          .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
          .groupBy('status')
          .execute()
          .catch(() => undefined);
        if (rows === undefined) return;
        for (const status of JOB_STATUSES)
          this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
      },
    });
    void jobs;

    const queue = new Gauge({
      name: 'bucketload_queue_depth',
      help: 'Queued imports: ready to run now, or waiting for a retry backoff (from the database).',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const now = Date.now();
        const row = await database.db
          .selectFrom('jobs')
          .select((eb) => [
            eb.fn.countAll<number | string>().as('total'),
            eb.fn
              .sum<number | string | null>(eb.case().when('run_at', '<=', now).then(1).else(0).end())
              .as('ready'),
          ])
          .where('status', '=', 'queued')
          .where('kind', '=', 'import')
          .executeTakeFirst()
          .catch(() => undefined);
        if (row === undefined) return;
        const ready = Number(row.ready ?? 0);
        this.set({ state: 'ready' }, ready);
        this.set({ state: 'delayed' }, Number(row.total) - ready);
      },
    });
    void queue;

    const pools = this.pools;
    const slots = new Gauge({
      name: 'bucketload_worker_slots',
      help: 'Job slots of the workers in this process: busy, and total.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        let busy = 0;
        let total = 0;
        for (const pool of pools) {
          busy += pool.activeJobs;
          total += pool.concurrency;
        }
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'total' }, total);
      },
    });
    void slots;
    const utilization = new Gauge({
      name: 'bucketload_worker_utilization',
      help: 'Busy / total job slots in this process (0 without workers).',
      registers,
      collect() {
        let busy = 0;
        let total = 0;
        for (const pool of pools) {
          busy += pool.activeJobs;
          total += pool.concurrency;
        }
        this.set(total === 0 ? 0 : busy / total);
      },
    });
    void utilization;

    this.attemptDuration = new Histogram({
      name: 'bucketload_job_duration_seconds',
      help: 'Duration of job attempts run in this process, by how they ended.',
      labelNames: ['outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
      registers,
    });
    this.bytesMoved = new Counter({
      name: 'bucketload_bytes_moved_total',
      help: 'Bytes delivered into storage by imports completed in this process.',
      registers,
    });
    const s3Errors = new Counter({
      name: 'bucketload_s3_errors_total',
      help: 'Failed S3 calls of this process (after the SDK retries), by error code and operation.',
      labelNames: ['code', 'operation'] as const,
      registers,
    });
    this.unsubscribe = onS3Error((event) => s3Errors.inc({ code: event.code, operation: event.operation }));
    this.webhookAttempts = new Counter({
      name: 'bucketload_webhook_attempts_total',
      help: 'Webhook delivery attempts made by this process, by result.',
      labelNames: ['outcome'] as const,
      registers,
    });
  }

  trackPool(pool: PoolGauge): void {
    this.pools.add(pool);
  }

  observeAttempt(event: AttemptEnd): void {
    this.attemptDuration.observe({ outcome: event.outcome }, event.durationMs / 1000);
    if (event.outcome === 'completed' && event.bytes > 0) this.bytesMoved.inc(event.bytes);
  }

  observeWebhook(outcome: 'delivered' | 'retrying' | 'failed'): void {
    this.webhookAttempts.inc({ outcome });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.unsubscribe();
    this.registry.clear();
  }
}
