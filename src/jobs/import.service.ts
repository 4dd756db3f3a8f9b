import { createHash } from 'node:crypto';
import type { Config } from '../config/config.js';
import { AppError } from '../core/errors.js';
import type { JobRepository } from '../db/job.repository.js';
import type { SecretBox } from '../security/secret-box.js';
import type { S3DestinationConfig } from '../storage/s3/s3-destination.js';
import type { StorageResolver } from '../storage/storage-resolver.js';
import {
  DEFAULT_PRESIGN_SECONDS,
  type DestinationRef,
  type ImportRequest,
  type InlineDestination,
} from './import-request.js';
import { buildImportView, type ImportView } from './import-view.js';
import type { Job } from './job.js';
import type { JobStatus } from './job-types.js';

/** Checks a request's destination (4xx before any work) and seals inline credentials. */
export interface DestinationRefResolver {
  checkRef(
    userId: string,
    ref: DestinationRef,
    overrides: { bucket?: string | undefined; storageClass?: string | undefined; acl?: string | undefined },
  ): Promise<void>;
  inline(userId: string, config: S3DestinationConfig): InlineDestination;
}

export interface CreateImportOptions {
  readonly idempotencyKey?: string;
  readonly requestId?: string;
  /** The raw body the key is compared on: the same key with another body is a conflict. */
  readonly rawBody: unknown;
}

/**
 * The service every entry point (native routes, compat adapters, dashboard) calls to create,
 * read, list and cancel imports.
 */
export class ImportService {
  private destinationRefs: DestinationRefResolver | undefined;
  private onCreated: (() => void) | undefined;
  private onCancel: ((jobId: string) => void) | undefined;

  constructor(
    private readonly config: Config,
    private readonly jobs: JobRepository,
    private readonly storage: StorageResolver,
    private readonly secrets: SecretBox,
  ) {}

  useDestinationRefs(resolver: DestinationRefResolver): void {
    this.destinationRefs = resolver;
  }

  /** Hooks for in-process workers: wake a claim loop, stop a local job at once. */
  attachWorkers(hooks: { onCreated: () => void; onCancel: (jobId: string) => void }): void {
    this.onCreated = hooks.onCreated;
    this.onCancel = hooks.onCancel;
  }

  sealSecret(userId: string, secret: string): string {
    return this.secrets.seal(secret, `inline:${userId}`);
  }

  /**
   * Turns a request's `destination` (undefined, "managed", a saved name, or an S3 config) into a
   * reference, checked with the request's overrides so a bad storage class is a 4xx now.
   */
  async resolveDestinationRef(
    userId: string,
    raw: string | S3DestinationConfig | undefined,
    overrides: {
      bucket?: string | undefined;
      storageClass?: string | undefined;
      acl?: string | undefined;
    } = {},
  ): Promise<DestinationRef> {
    let ref: DestinationRef;
    if (raw === undefined) ref = { kind: 'default' };
    else if (raw === 'managed') ref = { kind: 'managed' };
    else if (typeof raw === 'string') ref = { kind: 'saved', name: raw };
    else {
      if (this.destinationRefs === undefined)
        throw new AppError('VALIDATION_FAILED', {
          field: 'destination',
          message: 'destination is not supported here',
        });
      ref = { kind: 'inline', destination: this.destinationRefs.inline(userId, raw) };
    }
    if (ref.kind !== 'managed') {
      if (this.destinationRefs !== undefined) await this.destinationRefs.checkRef(userId, ref, overrides);
      else if (ref.kind === 'saved') throw new AppError('DESTINATION_NOT_FOUND', { field: 'destination' });
    }
    return ref;
  }

  async create(
    userId: string,
    request: ImportRequest,
    options: CreateImportOptions,
  ): Promise<{ job: Job; created: boolean }> {
    assertImportUrl(request.url);
    if (request.webhook !== undefined) assertImportUrl(request.webhook.url, 'webhook.url');
    const active = await this.jobs.countActive(userId, this.config.maxActiveJobsPerUser);
    if (active >= this.config.maxActiveJobsPerUser)
      throw new AppError('TOO_MANY_ACTIVE_JOBS', { details: { limit: this.config.maxActiveJobsPerUser } });
    const result = await this.jobs.create({
      userId,
      request,
      maxAttempts: this.config.maxAttempts,
      ...(options.idempotencyKey === undefined
        ? {}
        : { idempotencyKey: options.idempotencyKey, requestHash: hashBody(options.rawBody) }),
      ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
    });
    if (result.created) this.onCreated?.();
    return result;
  }

  async get(userId: string, id: string): Promise<Job> {
    const job = await this.jobs.findForUser(userId, id);
    if (job === undefined) throw new AppError('IMPORT_NOT_FOUND');
    return job;
  }

  async view(job: Job, presign = true): Promise<ImportView> {
    const files = job.status === 'completed' ? await this.jobs.files(job.id) : [];
    return buildImportView(job, files, {
      publicUrl: this.config.publicUrl,
      presign,
      storeFor: (file) => this.storage.storeForFile(job, file),
    });
  }

  async list(
    userId: string,
    query: { status?: JobStatus; limit?: number; cursor?: string; parentId?: string },
  ) {
    return this.jobs.list(userId, { limit: query.limit ?? 20, ...query });
  }

  async cancel(userId: string, id: string): Promise<Job> {
    const before = await this.get(userId, id);
    if (before.status === 'completed' || before.status === 'failed')
      throw new AppError('IMPORT_NOT_CANCELABLE');
    const job = await this.jobs.requestCancel(userId, id);
    if (job === undefined) throw new AppError('IMPORT_NOT_FOUND');
    this.onCancel?.(id);
    return job;
  }
}

export function hashBody(body: unknown): string {
  return createHash('sha256').update(stableStringify(body)).digest('hex');
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same body for idempotency. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Cheap syntactic checks at submit time; the egress policy decides at connect time. */
export function assertImportUrl(raw: string, field = 'url'): void {
  // The URL parser silently drops tabs and newlines and encodes NULs: refuse them, so the URL that
  // is stored, logged and shown is the one that would be fetched.
  if (/[\u0000-\u001f\u007f]/u.test(raw))
    throw new AppError('INVALID_URL', { field, message: 'The URL contains control characters.' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('INVALID_URL', { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('INVALID_URL', {
      field,
      message: `Only http and https URLs can be used (got ${url.protocol.replace(':', '')}).`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new AppError('INVALID_URL', {
      field,
      message: 'URLs with a user name or password are not accepted.',
    });
  }
  if (url.hostname === '') throw new AppError('INVALID_URL', { field });
}

export { DEFAULT_PRESIGN_SECONDS };
