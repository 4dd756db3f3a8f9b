import type { Insertable } from 'kysely';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ImportRequest } from '../jobs/import-request.js';
import type { Job, JobFile } from '../jobs/job.js';
import type { JobKind, JobStatus } from '../jobs/job-types.js';
import type { Db } from './database.js';
import { toJob, toJobFile } from './job-row.js';
import type { JobTable } from './job.table.js';

export interface CreateJobInput {
  readonly userId: string;
  readonly request: ImportRequest;
  readonly kind?: JobKind;
  readonly parentId?: string;
  readonly idempotencyKey?: string;
  readonly requestHash?: string;
  readonly requestId?: string;
  readonly maxAttempts: number;
}

export interface JobPage {
  readonly jobs: Job[];
  readonly nextCursor: string | null;
}

export class JobRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts a queued job (committed when this resolves, so a 202 is only sent for a durable job).
   * With an Idempotency-Key, the same key and body return the first job (`created: false`); the
   * same key with another body is IDEMPOTENCY_CONFLICT.
   */
  async create(input: CreateJobInput): Promise<{ job: Job; created: boolean }> {
    if (input.idempotencyKey !== undefined) {
      const existing = await this.findByIdempotencyKey(input.userId, input.idempotencyKey);
      if (existing !== undefined)
        return { job: this.checkSameBody(existing, input.requestHash), created: false };
    }
    const now = Date.now();
    const row: Insertable<JobTable> = {
      id: newId('imp'),
      user_id: input.userId,
      kind: input.kind ?? 'import',
      parent_id: input.parentId ?? null,
      status: 'queued',
      phase: null,
      request: JSON.stringify(input.request),
      idempotency_key: input.idempotencyKey ?? null,
      request_hash: input.requestHash ?? null,
      request_id: input.requestId ?? null,
      attempts: 0,
      max_attempts: input.maxAttempts,
      run_at: now,
      cancel_requested: 0,
      progress_bytes: 0,
      created_at: now,
      updated_at: now,
    };
    try {
      const inserted = await this.db.insertInto('jobs').values(row).returningAll().executeTakeFirstOrThrow();
      return { job: toJob(inserted), created: true };
    } catch (error) {
      // Two requests with one Idempotency-Key raced: the unique index let one in; answer with it.
      if (input.idempotencyKey !== undefined) {
        const existing = await this.findByIdempotencyKey(input.userId, input.idempotencyKey);
        if (existing !== undefined)
          return { job: this.checkSameBody(existing, input.requestHash), created: false };
      }
      throw error;
    }
  }

  private checkSameBody(existing: { job: Job; requestHash: string | null }, hash: string | undefined): Job {
    if (existing.requestHash !== (hash ?? null)) throw new AppError('IDEMPOTENCY_CONFLICT');
    return existing.job;
  }

  private async findByIdempotencyKey(
    userId: string,
    key: string,
  ): Promise<{ job: Job; requestHash: string | null } | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('user_id', '=', userId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row === undefined ? undefined : { job: toJob(row), requestHash: row.request_hash };
  }

  /** A job of this user, or undefined: another user's job is indistinguishable from none. */
  async findForUser(userId: string, id: string): Promise<Job | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? undefined : toJob(row);
  }

  async findById(id: string): Promise<Job | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toJob(row);
  }

  async files(jobId: string): Promise<JobFile[]> {
    const rows = await this.db
      .selectFrom('job_files')
      .selectAll()
      .where('job_id', '=', jobId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toJobFile);
  }

  async fileForUser(userId: string, fileId: string): Promise<{ file: JobFile; jobId: string } | undefined> {
    const row = await this.db
      .selectFrom('job_files')
      .innerJoin('jobs', 'jobs.id', 'job_files.job_id')
      .selectAll('job_files')
      .where('job_files.id', '=', fileId)
      .where('jobs.user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? undefined : { file: toJobFile(row), jobId: row.job_id };
  }

  /** Newest first; the cursor is opaque (created_at and id of the last row). */
  async list(
    userId: string,
    options: { status?: JobStatus; limit: number; cursor?: string; parentId?: string },
  ): Promise<JobPage> {
    let query = this.db.selectFrom('jobs').selectAll().where('user_id', '=', userId);
    if (options.status !== undefined) query = query.where('status', '=', options.status);
    if (options.parentId !== undefined) query = query.where('parent_id', '=', options.parentId);
    if (options.cursor !== undefined) {
      const { createdAt, id } = decodeCursor(options.cursor);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', createdAt),
          eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      jobs: page.map(toJob),
      nextCursor:
        rows.length > options.limit && last !== undefined
          ? encodeCursor(Number(last.created_at), last.id)
          : null,
    };
  }

  /**
   * Asks for a job to stop. A queued job is canceled at once; a running one is flagged and its
   * worker stops at its next heartbeat (or at once, when it runs in this process).
   */
  async requestCancel(userId: string, id: string): Promise<Job | undefined> {
    const now = Date.now();
    await this.db
      .updateTable('jobs')
      .set({ status: 'canceled', cancel_requested: 1, finished_at: now, updated_at: now, phase: null })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('status', '=', 'queued')
      .execute();
    await this.db
      .updateTable('jobs')
      .set({ cancel_requested: 1, updated_at: now })
      .where((eb) => eb.or([eb('id', '=', id), eb('parent_id', '=', id)]))
      .where('user_id', '=', userId)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    await this.db
      .updateTable('jobs')
      .set({ status: 'canceled', finished_at: now, updated_at: now, phase: null })
      .where('parent_id', '=', id)
      .where('user_id', '=', userId)
      .where('status', '=', 'queued')
      .execute();
    return this.findForUser(userId, id);
  }

  /**
   * The user's queued and running imports, counted up to `limit` only: the per-user check needs no
   * more, and the cost stays O(limit) however long the queue grows.
   */
  async countActive(userId: string, limit: number): Promise<number> {
    const row = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('user_id', '=', userId)
          .where('status', 'in', ['queued', 'running'])
          .where('kind', '=', 'import')
          .limit(limit)
          .as('active'),
      )
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([a-z]{3}_[0-9a-z]{26})$/.exec(text);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new AppError('INVALID_CURSOR', { field: 'cursor' });
  }
  return { createdAt: Number(match[1]), id: match[2] };
}
