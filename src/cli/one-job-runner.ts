import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, PermanentJobError, isAbortError, toError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { toJob } from '../db/job-row.js';
import { completeJob } from '../db/queue/complete-job.js';
import { backoffMs, failJob } from '../db/queue/fail-job.js';
import { heartbeatJob } from '../db/queue/heartbeat-job.js';
import type { AppServices } from '../http/app-services.js';
import type { Job, JobError, JobProgress } from '../jobs/job.js';
import { isTerminal, type JobPhase } from '../jobs/job-types.js';
import type { JobContext, JobHandler } from '../jobs/worker-pool.js';
import { mergeProgress } from '../jobs/job-progress.js';
import { claimJobById } from '../db/queue/claim-job-by-id.js';

/** What the display hears about while one job runs. */
export type RunEvent =
  | { readonly type: 'attempt'; readonly attempt: number; readonly maxAttempts: number }
  | { readonly type: 'phase'; readonly phase: JobPhase }
  | { readonly type: 'progress'; readonly progress: JobProgress }
  | { readonly type: 'retry'; readonly attempt: number; readonly error: JobError; readonly retryAt: number }
  | { readonly type: 'elsewhere' };

export interface RunOneJobOptions {
  readonly services: AppServices;
  readonly handler: JobHandler;
  readonly jobId: string;
  readonly userId: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  /** The user's interrupt (Ctrl-C): the attempt is canceled, its partial output removed. */
  readonly interrupt: AbortSignal;
  onEvent(event: RunEvent): void;
}

type StopReason = 'cancel' | 'lease-lost';

/**
 * Runs one job in this process through the same handler the workers use, with the queue's rules:
 * a lease renewed by heartbeats, retryable failures retried with the queue's backoff up to the
 * job's max attempts, permanent ones failing at once, a cancel (ours or one requested through the
 * API) recorded as canceled. If another process holds the job (a server sharing the database took
 * it over), it is followed until it ends. Resolves with the job in its final state.
 */
export async function runOneJob(options: RunOneJobOptions): Promise<Job> {
  const { services, jobId, userId, interrupt } = options;
  const workerId = `cli_${process.pid}_${randomBytes(4).toString('hex')}`;
  let retryAt = 0;
  let canceledAt: number | undefined;
  for (;;) {
    const job = await services.imports.get(userId, jobId);
    if (isTerminal(job.status)) return job;
    if (interrupt.aborted) {
      // Not running here: ask whoever holds it (or the queue) to stop, and wait a bounded time.
      if (canceledAt === undefined) {
        canceledAt = Date.now();
        await services.imports.cancel(userId, jobId).catch(() => undefined);
      } else if (Date.now() - canceledAt > 15_000) return job;
      await sleep(200);
      continue;
    }
    const row = await claimJobById(services.database.db, jobId, workerId, options.leaseMs);
    if (row !== undefined) {
      await runAttempt(options, toJob(row), workerId, (at) => (retryAt = at));
      continue;
    }
    if (job.status === 'running') {
      options.onEvent({ type: 'elsewhere' });
      options.onEvent({ type: 'progress', progress: job.progress });
    }
    const wait = Math.min(1000, Math.max(50, retryAt - Date.now()));
    await sleep(wait, undefined, { signal: interrupt }).catch(() => undefined);
  }
}

async function runAttempt(
  options: RunOneJobOptions,
  job: Job,
  workerId: string,
  onRetry: (at: number) => void,
): Promise<void> {
  const { services, leaseMs, interrupt } = options;
  const db = services.database.db;
  const logger = options.logger.child({
    jobId: job.id,
    attempt: job.attempts,
    workerId,
    reqId: job.requestId,
  });
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort(stopReason('cancel'));
  interrupt.addEventListener('abort', onInterrupt, { once: true });
  if (interrupt.aborted) onInterrupt();

  options.onEvent({ type: 'attempt', attempt: job.attempts, maxAttempts: job.maxAttempts });
  let phase: JobPhase | undefined;
  let phaseDirty = false;
  let progress: JobProgress = job.progress;
  let progressDirty = false;
  let beating = false;
  const beat = async (): Promise<void> => {
    if (beating) return;
    beating = true;
    try {
      const update = {
        ...(phaseDirty && phase !== undefined ? { phase } : {}),
        ...(progressDirty ? { progress } : {}),
      };
      phaseDirty = false;
      progressDirty = false;
      const state = await heartbeatJob(db, job.id, workerId, leaseMs, update);
      if (!state.held) controller.abort(stopReason('lease-lost'));
      else if (state.cancelRequested) controller.abort(stopReason('cancel'));
    } catch (error) {
      logger.warn({ err: toError(error) }, 'heartbeat failed');
    } finally {
      beating = false;
    }
  };
  // The database sees progress about once a second (the API and dashboard show CLI jobs too).
  const ticker = setInterval(() => void beat(), Math.min(1000, Math.floor(leaseMs / 3)));

  const context: JobContext = {
    signal: controller.signal,
    logger,
    workerId,
    attempt: job.attempts,
    setPhase(next) {
      if (next === phase) return;
      phase = next;
      phaseDirty = true;
      options.onEvent({ type: 'phase', phase: next });
    },
    reportProgress(next) {
      const merged = mergeProgress(progress, next);
      if (merged === undefined) return;
      progress = merged;
      progressDirty = true;
      options.onEvent({ type: 'progress', progress });
    },
  };

  try {
    const outcome = await options.handler(job, context);
    clearInterval(ticker);
    if (outcome.children !== undefined)
      throw new PermanentJobError('UNSUPPORTED_URL', {
        message: 'Playlists are imported through the API, not the CLI.',
      });
    // A Ctrl-C that arrives once everything is stored does not undo it: the import completed.
    await completeJob(db, job.id, workerId, outcome);
  } catch (caught) {
    clearInterval(ticker);
    await endFailedAttempt(options, job, workerId, controller.signal, caught, logger, onRetry);
  } finally {
    interrupt.removeEventListener('abort', onInterrupt);
  }
}

/** The same decisions as the worker pool's: cancel, retry with backoff, or fail for good. */
async function endFailedAttempt(
  options: RunOneJobOptions,
  job: Job,
  workerId: string,
  signal: AbortSignal,
  caught: unknown,
  logger: Logger,
  onRetry: (at: number) => void,
): Promise<void> {
  const db = options.services.database.db;
  const reason = signal.aborted ? reasonOf(signal.reason) : undefined;
  if (reason === 'lease-lost') {
    logger.warn('job attempt abandoned: another worker holds the lease');
    return;
  }
  if (reason === 'cancel' || (caught instanceof AppError && caught.code === 'JOB_CANCELED')) {
    await failJob(db, job.id, workerId, {
      error: { code: 'JOB_CANCELED', message: 'The import was canceled.' },
      retryAt: null,
      canceled: true,
    });
    return;
  }
  const error = toError(caught);
  const appError = error instanceof AppError ? error : undefined;
  const retryable =
    appError === undefined
      ? !isAbortError(error)
      : appError.retryable && !(appError instanceof PermanentJobError);
  const retryAt = retryable && job.attempts < job.maxAttempts ? Date.now() + backoffMs(job.attempts) : null;
  const publicError: JobError =
    appError === undefined
      ? { code: 'INTERNAL', message: 'Internal error.' }
      : {
          code: appError.code,
          message: appError.message,
          ...(appError.hint === undefined ? {} : { hint: appError.hint }),
        };
  logger.debug({ err: error, retryAt }, 'job attempt failed');
  if (appError === undefined) logger.error({ err: error }, 'job attempt failed with an unexpected error');
  const status = await failJob(db, job.id, workerId, { error: publicError, retryAt });
  if (status === 'retrying' && retryAt !== null) {
    onRetry(retryAt);
    options.onEvent({ type: 'retry', attempt: job.attempts, error: publicError, retryAt });
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
