import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import { AppError, PermanentJobError, isAbortError, toError } from '../core/errors.js';
import { redactUrl, type Logger } from '../core/logger.js';
import type { Database } from '../db/database.js';
import type { JobFileTable } from '../db/job-file.table.js';
import { toJob } from '../db/job-row.js';
import { claimJob } from '../db/queue/claim-job.js';
import { completeJob } from '../db/queue/complete-job.js';
import { expireJobs } from '../db/queue/expire-jobs.js';
import { finishParents } from '../db/queue/finish-parents.js';
import { spawnChildren } from '../db/queue/spawn-children.js';
import { backoffMs, failJob } from '../db/queue/fail-job.js';
import { heartbeatJob } from '../db/queue/heartbeat-job.js';
import { releaseJob } from '../db/queue/release-job.js';
import type { ImportRequest } from './import-request.js';
import { mergeProgress } from './job-progress.js';
import type { Job, JobProgress, JobResultSummary, JobSource } from './job.js';
import type { JobPhase } from './job-types.js';

/** What a job handler gets besides the job: a scoped logger, an abort signal and progress hooks. */
export interface JobContext {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly workerId: string;
  readonly attempt: number;
  setPhase(phase: JobPhase): void;
  /** Progress never goes backwards; writes are throttled to a few per second. */
  reportProgress(progress: JobProgress): void;
}

export interface JobOutcome {
  readonly result: JobResultSummary;
  readonly source: JobSource | null;
  readonly files: Insertable<JobFileTable>[];
  readonly finalBytes: number;
  /** A playlist: the job becomes a parent of one child job per entry instead of completing. */
  readonly children?: { readonly requests: readonly ImportRequest[]; readonly title: string | null };
}

/**
 * A job handler resolves with the outcome, or throws: an AppError with `retryable: false` (or a
 * PermanentJobError) fails the job at once; anything else is retried with backoff.
 */
export type JobHandler = (job: Job, context: JobContext) => Promise<JobOutcome>;

export interface WorkerPoolOptions {
  readonly database: Database;
  readonly handler: JobHandler;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly pollMs?: number;
  readonly tickMs?: number;
  /** Called after a job reaches a final state or is requeued (for events and metrics). */
  readonly onJobEnd?: (jobId: string, status: 'completed' | 'failed' | 'canceled' | 'retrying') => void;
  /** Called after every attempt, however it ended (metrics). */
  readonly onAttemptEnd?: (event: AttemptEnd) => void;
  /** After the grace period, how long aborted jobs get to clean up before they are released anyway. Default 15 s. */
  readonly releaseWaitMs?: number;
}

/** How one attempt ended: `released` went back to the queue (shutdown), `abandoned` lost its lease. */
export interface AttemptEnd {
  readonly jobId: string;
  readonly outcome: 'completed' | 'failed' | 'canceled' | 'retrying' | 'released' | 'abandoned' | 'expanded';
  readonly durationMs: number;
  readonly bytes: number;
}

export type StopReason = 'cancel' | 'lease-lost' | 'shutdown';

/**
 * Runs `concurrency` claim loops in this process. Each claimed job gets an AbortController; a
 * ticker heartbeats the lease, flushes progress and notices cancel requests made by any process.
 */
export class WorkerPool {
  readonly workerId: string;
  private readonly running = new Map<string, AbortController>();
  private readonly loops: Promise<void>[] = [];
  private stopping = false;
  private readonly waiters = new Set<() => void>();
  private readonly pollMs: number;
  private readonly tickMs: number;

  constructor(private readonly options: WorkerPoolOptions) {
    this.workerId = `w_${process.pid}_${randomBytes(4).toString('hex')}`;
    this.pollMs = options.pollMs ?? 500;
    this.tickMs = options.tickMs ?? Math.min(500, Math.floor(options.leaseMs / 3));
  }

  start(): void {
    for (let slot = 0; slot < this.options.concurrency; slot += 1) this.loops.push(this.loop(slot));
  }

  /** New work was queued in this process: skip the poll delay. */
  notify(): void {
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Stops a job running in this process at once (other processes notice at their next tick). */
  cancelLocal(jobId: string): boolean {
    const controller = this.running.get(jobId);
    if (controller === undefined) return false;
    controller.abort(stopReason('cancel'));
    return true;
  }

  get activeJobs(): number {
    return this.running.size;
  }

  /** Whether this pool is running the job now. */
  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Claim loops (slots) of this pool. */
  get concurrency(): number {
    return this.options.concurrency;
  }

  /**
   * Stops claiming; waits up to `graceMs` for running jobs, then aborts them: each cleans up (aborts
   * its multipart upload, removes its temp dir) and is released back to the queue, so another worker
   * claims it at once instead of after its lease expires. A job that does not wind down within
   * `releaseWaitMs` after the abort is released anyway.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wakeAll();
    const all = Promise.all(this.loops).then(() => 'done' as const);
    const after = (ms: number) =>
      new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), ms);
        void all.then(() => clearTimeout(timer));
      });
    if ((await Promise.race([all, after(graceMs)])) === 'done') return;
    if (this.running.size > 0)
      this.options.logger.warn(
        { workerId: this.workerId, jobs: [...this.running.keys()] },
        'grace period over: releasing running jobs',
      );
    for (const controller of this.running.values()) controller.abort(stopReason('shutdown'));
    if ((await Promise.race([all, after(this.options.releaseWaitMs ?? 15_000)])) === 'done') return;
    // An attempt that ignores its abort: give the job back anyway (the process is about to exit).
    for (const jobId of [...this.running.keys()]) {
      await releaseJob(this.options.database.db, jobId, this.workerId).catch(() => false);
    }
  }

  private async loop(slot: number): Promise<void> {
    const { database, logger } = this.options;
    let sweepAt = 0;
    while (!this.stopping) {
      try {
        if (slot === 0 && Date.now() >= sweepAt) {
          sweepAt = Date.now() + 2000;
          await expireJobs(database.db);
          await finishParents(database.db);
        }
        const row = await claimJob(database.db, database.capabilities, this.workerId, this.options.leaseMs);
        if (row === undefined) {
          await this.idle();
          continue;
        }
        await this.runJob(toJob(row));
      } catch (error) {
        // The database went away (e.g. PostgreSQL restarting): wait and try again.
        logger.error({ err: toError(error), workerId: this.workerId }, 'worker loop error');
        await this.idle(2000);
      }
    }
  }

  private async idle(ms = this.pollMs): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private async runJob(job: Job): Promise<void> {
    const { database, leaseMs } = this.options;
    const logger = this.options.logger.child({
      jobId: job.id,
      attempt: job.attempts,
      workerId: this.workerId,
      reqId: job.requestId,
    });
    const controller = new AbortController();
    this.running.set(job.id, controller);
    const startedAt = Date.now();
    const ended = (outcome: AttemptEnd['outcome'], bytes = 0): void =>
      this.options.onAttemptEnd?.({ jobId: job.id, outcome, durationMs: Date.now() - startedAt, bytes });
    let phase: JobPhase | undefined;
    let phaseDirty = false;
    let progress: JobProgress = job.progress;
    let progressDirty = false;
    let lastBeat = Date.now();
    let beating = false;

    const beat = async (): Promise<void> => {
      if (beating) return;
      const due = Date.now() - lastBeat >= leaseMs / 3;
      if (!due && !progressDirty && !phaseDirty) return;
      beating = true;
      try {
        const update = {
          ...(phaseDirty && phase !== undefined ? { phase } : {}),
          ...(progressDirty ? { progress } : {}),
        };
        progressDirty = false;
        phaseDirty = false;
        const state = await heartbeatJob(database.db, job.id, this.workerId, leaseMs, update);
        lastBeat = Date.now();
        if (!state.held) controller.abort(stopReason('lease-lost'));
        else if (state.cancelRequested) controller.abort(stopReason('cancel'));
      } catch (error) {
        logger.warn({ err: toError(error) }, 'heartbeat failed');
      } finally {
        beating = false;
      }
    };
    const ticker = setInterval(() => void beat(), this.tickMs);

    const context: JobContext = {
      signal: controller.signal,
      logger,
      workerId: this.workerId,
      attempt: job.attempts,
      setPhase(next) {
        if (next !== phase) {
          phase = next;
          phaseDirty = true;
        }
      },
      reportProgress(next) {
        const merged = mergeProgress(progress, next);
        if (merged === undefined) return;
        progress = merged;
        progressDirty = true;
      },
    };

    // A source URL may itself be presigned (its query grants access): log it without the query.
    logger.info({ url: redactUrl(job.request.url).slice(0, 200) }, 'job started');
    try {
      const outcome = await this.options.handler(job, context);
      clearInterval(ticker);
      // A cancel that arrives after the files were stored is too late to stop anything: record the
      // finished work (otherwise its objects would be left without a job file pointing at them).
      // A lost lease or a shutdown still hands the job on; completeJob checks the lease anyway.
      if (controller.signal.aborted && reasonOf(controller.signal.reason) !== 'cancel')
        throw controller.signal.reason;
      if (outcome.children !== undefined) {
        const spawned = await spawnChildren(database.db, job, this.workerId, outcome.children.requests, {
          storage: outcome.result.storage,
          title: outcome.children.title,
        });
        logger.info(
          { spawned, children: outcome.children.requests.length },
          'playlist expanded into child jobs',
        );
        ended('expanded');
        this.wakeAll();
        return;
      }
      const done = await completeJob(database.db, job.id, this.workerId, outcome);
      logger.info({ done, bytes: outcome.finalBytes }, 'job completed');
      ended(done ? 'completed' : 'abandoned', done ? outcome.finalBytes : 0);
      if (job.parentId !== null) await finishParents(database.db).catch(() => 0);
      this.options.onJobEnd?.(job.id, 'completed');
    } catch (caught) {
      clearInterval(ticker);
      ended(await this.endFailedAttempt(job, controller.signal, caught, logger));
    } finally {
      this.running.delete(job.id);
    }
  }

  private async endFailedAttempt(
    job: Job,
    signal: AbortSignal,
    caught: unknown,
    logger: Logger,
  ): Promise<AttemptEnd['outcome']> {
    const reason = signal.aborted ? reasonOf(signal.reason) : undefined;
    if (reason === 'lease-lost') {
      // Not ours any more: leave the row to the worker that holds it now.
      logger.warn({ reason }, 'job attempt abandoned');
      return 'abandoned';
    }
    if (reason === 'shutdown') {
      // We are going away and the attempt has cleaned up: hand the job back for another worker now.
      const released = await releaseJob(this.options.database.db, job.id, this.workerId).catch(
        (error: unknown) => {
          logger.warn({ err: toError(error) }, 'releasing the job failed; its lease will expire instead');
          return false;
        },
      );
      logger.warn({ reason, released }, 'job attempt released');
      return released ? 'released' : 'abandoned';
    }
    const db = this.options.database.db;
    if (reason === 'cancel' || (caught instanceof AppError && caught.code === 'JOB_CANCELED')) {
      await failJob(db, job.id, this.workerId, {
        error: { code: 'JOB_CANCELED', message: 'The import was canceled.' },
        retryAt: null,
        canceled: true,
      });
      logger.info('job canceled');
      this.options.onJobEnd?.(job.id, 'canceled');
      return 'canceled';
    }
    const error = toError(caught);
    const appError = error instanceof AppError ? error : undefined;
    const retryable =
      appError === undefined
        ? !isAbortError(error)
        : appError.retryable && !(appError instanceof PermanentJobError);
    const retryAt = retryable && job.attempts < job.maxAttempts ? Date.now() + backoffMs(job.attempts) : null;
    const publicError =
      appError === undefined
        ? { code: 'INTERNAL', message: 'Internal error.' }
        : {
            code: appError.code,
            message: appError.message,
            ...(appError.hint === undefined ? {} : { hint: appError.hint }),
          };
    logger.error({ err: error, retryAt }, 'job attempt failed');
    const status = await failJob(db, job.id, this.workerId, { error: publicError, retryAt });
    if (job.parentId !== null && status === 'failed') await finishParents(db).catch(() => 0);
    if (status !== 'lost') this.options.onJobEnd?.(job.id, status);
    return status === 'lost' ? 'abandoned' : status;
  }
}

function stopReason(reason: StopReason): Error {
  const error = new Error(`job stopped: ${reason}`);
  error.name = 'AbortError';
  (error as Error & { stopReason: StopReason }).stopReason = reason;
  return error;
}

function reasonOf(value: unknown): StopReason | undefined {
  return value instanceof Error ? (value as Error & { stopReason?: StopReason }).stopReason : undefined;
}
