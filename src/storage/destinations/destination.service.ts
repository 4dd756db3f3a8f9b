import type { Selectable } from 'kysely';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { DestinationTable } from '../../db/destination.table.js';
import type { DestinationRepository, DestinationRow } from '../../db/destination.repository.js';
import type { DestinationRef, InlineDestination } from '../../jobs/import-request.js';
import type { Job, JobFile } from '../../jobs/job.js';
import { createEgressHttpAgents, type EgressPolicy } from '../../security/egress/index.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { ObjectStore } from '../object-store.js';
import { verifyDestination, type CapabilityReport } from '../s3/destination-verifier.js';
import { isProviderName, type AclName } from '../s3/provider-presets.js';
import {
  resolveS3Destination,
  type ResolvedS3Destination,
  type S3DestinationConfig,
} from '../s3/s3-destination.js';
import { S3ObjectStore } from '../s3/s3-object-store.js';
import type { DestinationStoreProvider, JobSink, StorageResolver } from '../storage-resolver.js';
import {
  SECRET_MASK,
  type DestinationInput,
  type DestinationView,
  type VerificationView,
} from './destination-input.js';

export interface DestinationServiceOptions {
  readonly repository: DestinationRepository;
  readonly secrets: SecretBox;
  readonly policy: EgressPolicy;
  readonly storage: StorageResolver;
  readonly maxFileBytes: number;
  /** Bound on one verification (default 15 s). */
  readonly verifyTimeoutMs?: number;
}

/** Per-request overrides of a destination (native `bucket`, `storageClass`, `acl`). */
export interface DestinationOverrides {
  readonly bucket?: string | undefined;
  readonly storageClass?: string | undefined;
  readonly acl?: string | undefined;
}

const STORE_CACHE_SIZE = 64;

/**
 * Users' own buckets: verify-before-save, encrypted secrets, masked reads, and the S3 stores jobs
 * deliver into. Verification never saves anything when it fails.
 */
export class DestinationService implements DestinationStoreProvider {
  private readonly stores = new Map<string, S3ObjectStore>();

  constructor(private readonly options: DestinationServiceOptions) {}

  // ── CRUD ────────────────────────────────────────────────────────────────

  async create(userId: string, input: DestinationInput): Promise<DestinationView> {
    const { repository } = this.options;
    if ((await repository.findByName(userId, input.name)) !== undefined)
      throw new AppError('DESTINATION_EXISTS', { field: 'name' });
    const resolved = resolveS3Destination(toConfig(input));
    const report = await this.verifyOrThrow(resolved);
    const id = newId('dst');
    const now = Date.now();
    const isFirst = (await repository.list(userId)).length === 0;
    await repository.insert({
      id,
      user_id: userId,
      name: input.name,
      provider: resolved.provider,
      endpoint: resolved.endpoint,
      region: resolved.region,
      bucket: resolved.bucket,
      access_key_id: resolved.credentials.accessKeyId,
      secret_enc: this.options.secrets.seal(input.secretAccessKey, secretAad(userId, id)),
      force_path_style: resolved.forcePathStyle ? 1 : 0,
      path_prefix: resolved.pathPrefix === '' ? null : resolved.pathPrefix,
      storage_class: resolved.storageClass ?? null,
      acl: input.acl ?? null,
      server_side_encryption: resolved.serverSideEncryption ?? null,
      public_endpoint: resolved.publicEndpoint ?? null,
      presign_expires_in: input.presignExpiresIn ?? null,
      is_default: input.default === true || isFirst ? 1 : 0,
      capabilities: JSON.stringify(reportView(report)),
      created_at: now,
      updated_at: now,
    });
    return this.get(userId, input.name);
  }

  /** Creates or replaces the user's default destination (Tornado's POST /user/bucket). */
  async upsertDefault(
    userId: string,
    name: string,
    input: Omit<DestinationInput, 'name'>,
  ): Promise<DestinationView> {
    const existing = await this.options.repository.findByName(userId, name);
    if (existing === undefined) return this.create(userId, { ...input, name, default: true });
    return this.replace(userId, existing, { ...input, name, default: true });
  }

  async update(userId: string, name: string, patch: Partial<DestinationInput>): Promise<DestinationView> {
    const row = await this.requireRow(userId, name);
    const current = this.inputOf(row);
    if (
      patch.name !== undefined &&
      patch.name !== name &&
      (await this.options.repository.findByName(userId, patch.name)) !== undefined
    ) {
      throw new AppError('DESTINATION_EXISTS', { field: 'name' });
    }
    return this.replace(userId, row, { ...current, ...stripUndefined(patch) });
  }

  private async replace(
    userId: string,
    row: DestinationRow,
    input: DestinationInput,
  ): Promise<DestinationView> {
    const resolved = resolveS3Destination(toConfig(input));
    const report = await this.verifyOrThrow(resolved);
    await this.options.repository.update(userId, row.id, {
      name: input.name,
      provider: resolved.provider,
      endpoint: resolved.endpoint,
      region: resolved.region,
      bucket: resolved.bucket,
      access_key_id: resolved.credentials.accessKeyId,
      secret_enc: this.options.secrets.seal(input.secretAccessKey, secretAad(userId, row.id)),
      force_path_style: resolved.forcePathStyle ? 1 : 0,
      path_prefix: resolved.pathPrefix === '' ? null : resolved.pathPrefix,
      storage_class: resolved.storageClass ?? null,
      acl: input.acl ?? null,
      server_side_encryption: resolved.serverSideEncryption ?? null,
      public_endpoint: resolved.publicEndpoint ?? null,
      presign_expires_in: input.presignExpiresIn ?? null,
      ...(input.default === true ? { is_default: 1 } : input.default === false ? { is_default: 0 } : {}),
      capabilities: JSON.stringify(reportView(report)),
      updated_at: Date.now(),
    });
    this.evict(row.id);
    return this.get(userId, input.name);
  }

  async get(userId: string, name: string): Promise<DestinationView> {
    return toView(await this.requireRow(userId, name));
  }

  async list(userId: string): Promise<DestinationView[]> {
    return (await this.options.repository.list(userId)).map(toView);
  }

  async delete(userId: string, name: string): Promise<void> {
    const row = await this.requireRow(userId, name);
    await this.options.repository.delete(userId, row.id);
    this.evict(row.id);
  }

  /** Makes no destination the default: imports without `destination` go to managed storage. */
  async clearDefault(userId: string): Promise<boolean> {
    const row = await this.options.repository.findDefault(userId);
    if (row === undefined) return false;
    await this.options.repository.update(userId, row.id, { is_default: 0, updated_at: Date.now() });
    return true;
  }

  async getDefault(userId: string): Promise<DestinationView | undefined> {
    const row = await this.options.repository.findDefault(userId);
    return row === undefined ? undefined : toView(row);
  }

  /** Verifies without saving (Test connection). Throws the classified error when it fails. */
  async test(input: Omit<DestinationInput, 'name'>): Promise<VerificationView> {
    return reportView(await this.verifyOrThrow(resolveS3Destination(toConfig({ ...input, name: 'test' }))));
  }

  /** Re-verifies a saved destination and stores the new report. */
  async retest(userId: string, name: string): Promise<VerificationView> {
    const row = await this.requireRow(userId, name);
    const report = await this.verifyOrThrow(this.resolvedOf(row));
    const view = reportView(report);
    await this.options.repository.update(userId, row.id, {
      capabilities: JSON.stringify(view),
      updated_at: Date.now(),
    });
    return view;
  }

  // ── master key rotation ─────────────────────────────────────────────────

  /** Re-encrypts every secret under the current master key; returns how many changed. */
  async reencryptAll(): Promise<number> {
    let changed = 0;
    for (const row of await this.options.repository.listAll()) {
      if (this.options.secrets.keyIdOf(row.secret_enc) === this.options.secrets.currentKeyId) continue;
      const aad = secretAad(row.user_id, row.id);
      await this.options.repository.setSecret(
        row.id,
        this.options.secrets.seal(this.options.secrets.open(row.secret_enc, aad), aad),
      );
      changed += 1;
    }
    return changed;
  }

  // ── references from import requests ────────────────────────────────────

  /** Checks a request's destination and overrides before a job is created (4xx before any work). */
  async checkRef(userId: string, ref: DestinationRef, overrides: DestinationOverrides): Promise<void> {
    switch (ref.kind) {
      case 'managed':
        return;
      case 'default': {
        const row = await this.options.repository.findDefault(userId);
        if (row !== undefined) this.withOverrides(this.resolvedOf(row), overrides, row);
        return;
      }
      case 'saved': {
        const row = await this.options.repository.findByName(userId, ref.name);
        if (row === undefined)
          throw new AppError('DESTINATION_NOT_FOUND', {
            field: 'destination',
            message: `No destination named "${ref.name}".`,
          });
        this.withOverrides(this.resolvedOf(row), overrides, row);
        return;
      }
      case 'inline':
        this.withOverrides(this.resolvedInline(userId, ref.destination), overrides);
        return;
    }
  }

  /** Seals an inline destination for storage in the job's request. */
  inline(userId: string, config: S3DestinationConfig): InlineDestination {
    const resolved = resolveS3Destination(config);
    return {
      provider: resolved.provider,
      endpoint: resolved.endpoint,
      region: resolved.region,
      bucket: resolved.bucket,
      accessKeyId: resolved.credentials.accessKeyId,
      secretSealed: this.options.secrets.seal(config.secretAccessKey, `inline:${userId}`),
      forcePathStyle: resolved.forcePathStyle,
      ...(resolved.pathPrefix === '' ? {} : { pathPrefix: resolved.pathPrefix }),
      ...(resolved.storageClass === undefined ? {} : { storageClass: resolved.storageClass }),
      ...(config.acl === undefined ? {} : { acl: config.acl }),
      ...(resolved.publicEndpoint === undefined ? {} : { publicEndpoint: resolved.publicEndpoint }),
    };
  }

  async sinkForJob(job: Job): Promise<JobSink | undefined> {
    const ref = job.request.destination;
    const overrides = {
      bucket: job.request.bucket,
      storageClass: job.request.storageClass,
      acl: job.request.acl,
    };
    let resolved: ResolvedS3Destination;
    let destinationId: string | null = null;
    switch (ref.kind) {
      case 'managed':
        return undefined;
      case 'default':
      case 'saved': {
        const row =
          ref.kind === 'default'
            ? await this.options.repository.findDefault(job.userId)
            : await this.options.repository.findByName(job.userId, ref.name);
        if (row === undefined) {
          if (ref.kind === 'default') return undefined;
          throw new AppError('DESTINATION_NOT_FOUND', {
            retryable: false,
            message: `The destination "${ref.name}" no longer exists.`,
          });
        }
        resolved = this.withOverrides(this.resolvedOf(row), overrides, row);
        destinationId = row.id;
        break;
      }
      case 'inline':
        resolved = this.withOverrides(this.resolvedInline(job.userId, ref.destination), overrides);
        break;
    }
    const store = this.storeFor(resolved, destinationId);
    return {
      storage: 'destination',
      store,
      destinationId,
      bucket: resolved.bucket,
      pathPrefix: resolved.pathPrefix === '' ? undefined : resolved.pathPrefix,
      storageClass: resolved.storageClass,
      acl: resolved.acl,
      fallback: this.options.storage.managedSink(job.userId),
    };
  }

  async storeForFile(job: Job, file: JobFile): Promise<ObjectStore | undefined> {
    if (file.storage !== 'destination') return undefined;
    if (file.destinationId !== null) {
      const row = await this.options.repository.findById(job.userId, file.destinationId);
      if (row === undefined) return undefined;
      const resolved = this.resolvedOf(row);
      return this.storeFor(
        file.bucket === null || file.bucket === resolved.bucket
          ? resolved
          : { ...resolved, bucket: file.bucket },
        row.id,
      );
    }
    // Inline destinations are not saved: presign their files from the job's own sealed copy.
    if (job.request.destination.kind !== 'inline') return undefined;
    const resolved = this.resolvedInline(job.userId, job.request.destination.destination);
    return this.storeFor(file.bucket === null ? resolved : { ...resolved, bucket: file.bucket }, null);
  }

  close(): void {
    for (const store of this.stores.values()) store.destroy();
    this.stores.clear();
  }

  // ── internals ───────────────────────────────────────────────────────────

  private async verifyOrThrow(resolved: ResolvedS3Destination): Promise<CapabilityReport> {
    const agents = createEgressHttpAgents(this.options.policy);
    const report = await verifyDestination(resolved, {
      timeoutMs: this.options.verifyTimeoutMs ?? 15_000,
      tuning: { httpAgent: agents.httpAgent, httpsAgent: agents.httpsAgent },
    });
    if (!report.ok) {
      const error = report.error ?? new AppError('STORAGE_ERROR');
      throw new AppError(error.code, {
        message: error.message,
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error.field === undefined ? {} : { field: error.field }),
        details: { ...error.details, capabilities: reportView(report).capabilities },
        cause: error,
      });
    }
    return report;
  }

  private storeFor(resolved: ResolvedS3Destination, destinationId: string | null): S3ObjectStore {
    const cacheKey = JSON.stringify([
      destinationId,
      resolved.endpoint,
      resolved.bucket,
      resolved.region,
      resolved.credentials.accessKeyId,
      resolved.storageClass,
      resolved.acl,
      resolved.publicEndpoint,
      resolved.credentials.secretAccessKey.length,
    ]);
    const cached = this.stores.get(cacheKey);
    if (
      cached !== undefined &&
      cached.destination.credentials.secretAccessKey === resolved.credentials.secretAccessKey
    )
      return cached;
    const agents = createEgressHttpAgents(this.options.policy);
    const store = new S3ObjectStore({
      destination: resolved,
      tuning: { httpAgent: agents.httpAgent, httpsAgent: agents.httpsAgent },
      maxObjectBytes: this.options.maxFileBytes,
    });
    if (this.stores.size >= STORE_CACHE_SIZE) {
      const [oldestKey, oldest] = this.stores.entries().next().value as [string, S3ObjectStore];
      this.stores.delete(oldestKey);
      oldest.destroy();
    }
    this.stores.set(cacheKey, store);
    return store;
  }

  private evict(destinationId: string): void {
    for (const [key, store] of this.stores) {
      if (key.startsWith(JSON.stringify([destinationId]).slice(0, -1))) {
        this.stores.delete(key);
        store.destroy();
      }
    }
  }

  private withOverrides(
    resolved: ResolvedS3Destination,
    overrides: DestinationOverrides,
    row?: DestinationRow,
  ): ResolvedS3Destination {
    if (overrides.bucket === undefined && overrides.storageClass === undefined && overrides.acl === undefined)
      return resolved;
    const input = row === undefined ? undefined : this.inputOf(row);
    return resolveS3Destination({
      ...(input === undefined ? configOfResolved(resolved) : toConfig(input)),
      ...(overrides.bucket === undefined ? {} : { bucket: overrides.bucket }),
      ...(overrides.storageClass === undefined ? {} : { storageClass: overrides.storageClass }),
      ...(overrides.acl === undefined ? {} : { acl: overrides.acl as AclName }),
    });
  }

  private async requireRow(userId: string, name: string): Promise<DestinationRow> {
    const row = await this.options.repository.findByName(userId, name);
    if (row === undefined) throw new AppError('DESTINATION_NOT_FOUND');
    return row;
  }

  private inputOf(row: Selectable<DestinationTable>): DestinationInput {
    const provider = isProviderName(row.provider) ? row.provider : 'other';
    return {
      name: row.name,
      provider,
      endpoint: row.endpoint ?? undefined,
      region: row.region,
      bucket: row.bucket,
      accessKeyId: row.access_key_id,
      secretAccessKey: this.options.secrets.open(row.secret_enc, secretAad(row.user_id, row.id)),
      forcePathStyle: row.force_path_style === 1,
      ...(row.path_prefix === null ? {} : { pathPrefix: row.path_prefix }),
      ...(row.storage_class === null ? {} : { storageClass: row.storage_class }),
      ...(row.acl === null ? {} : { acl: row.acl as AclName }),
      ...(row.server_side_encryption === null ? {} : { serverSideEncryption: row.server_side_encryption }),
      ...(row.public_endpoint === null ? {} : { publicEndpoint: row.public_endpoint }),
      ...(row.presign_expires_in === null ? {} : { presignExpiresIn: row.presign_expires_in }),
    } as DestinationInput;
  }

  private resolvedOf(row: DestinationRow): ResolvedS3Destination {
    return resolveS3Destination(toConfig(this.inputOf(row)));
  }

  private resolvedInline(userId: string, inline: InlineDestination): ResolvedS3Destination {
    return resolveS3Destination({
      provider: isProviderName(inline.provider) ? inline.provider : 'other',
      endpoint: inline.endpoint,
      region: inline.region,
      bucket: inline.bucket,
      accessKeyId: inline.accessKeyId,
      secretAccessKey: this.options.secrets.open(inline.secretSealed, `inline:${userId}`),
      forcePathStyle: inline.forcePathStyle,
      pathPrefix: inline.pathPrefix,
      storageClass: inline.storageClass,
      acl: inline.acl as AclName | undefined,
      publicEndpoint: inline.publicEndpoint,
    });
  }
}

export function secretAad(userId: string, destinationId: string): string {
  return `destination:${userId}:${destinationId}`;
}

function toConfig(input: DestinationInput): S3DestinationConfig {
  return {
    provider: input.provider,
    endpoint: input.endpoint,
    region: input.region,
    accountId: input.accountId,
    bucket: input.bucket,
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
    forcePathStyle: input.forcePathStyle,
    pathPrefix: input.pathPrefix,
    storageClass: input.storageClass,
    acl: input.acl,
    serverSideEncryption: input.serverSideEncryption,
    publicEndpoint: input.publicEndpoint,
    presignExpiresIn: input.presignExpiresIn,
  };
}

function configOfResolved(resolved: ResolvedS3Destination): S3DestinationConfig {
  return {
    provider: resolved.provider,
    endpoint: resolved.endpoint,
    region: resolved.region,
    bucket: resolved.bucket,
    accessKeyId: resolved.credentials.accessKeyId,
    secretAccessKey: resolved.credentials.secretAccessKey,
    forcePathStyle: resolved.forcePathStyle,
    pathPrefix: resolved.pathPrefix,
    storageClass: resolved.storageClass,
    acl: resolved.acl,
    publicEndpoint: resolved.publicEndpoint,
    presignExpiresIn: resolved.presignExpiresIn,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function reportView(report: CapabilityReport): VerificationView {
  return {
    ok: report.ok,
    capabilities: { ...report.capabilities },
    probeErrors: { ...report.probeErrors },
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    markerRemoved: report.markerRemoved,
  };
}

function toView(row: DestinationRow): DestinationView {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    endpoint: row.endpoint,
    region: row.region,
    bucket: row.bucket,
    accessKeyId: row.access_key_id,
    secretAccessKey: SECRET_MASK,
    forcePathStyle: row.force_path_style === 1,
    pathPrefix: row.path_prefix,
    storageClass: row.storage_class,
    acl: row.acl,
    serverSideEncryption: row.server_side_encryption,
    publicEndpoint: row.public_endpoint,
    presignExpiresIn: row.presign_expires_in,
    default: row.is_default === 1,
    capabilities: row.capabilities === null ? null : (JSON.parse(row.capabilities) as VerificationView),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}
