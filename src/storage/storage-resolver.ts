import path from 'node:path';
import type { Config } from '../config/config.js';
import { AppError } from '../core/errors.js';
import type { Job, JobFile } from '../jobs/job.js';
import { LocalObjectStore, type LocalLinkSigner } from './local/local-object-store.js';
import { ManagedS3Storage } from './managed/managed-s3-storage.js';
import type { ObjectStore } from './object-store.js';

/** Where one job's files go, resolved when the attempt starts. */
export interface JobSink {
  readonly storage: 'destination' | 'managed';
  readonly store: ObjectStore;
  readonly destinationId: string | null;
  readonly bucket: string | null;
  readonly pathPrefix: string | undefined;
  readonly storageClass: string | undefined;
  readonly acl: string | undefined;
  /** Fallback sink when delivery to the user's bucket fails (managed storage). */
  readonly fallback: JobSink | undefined;
}

/** Resolves user destinations into stores; provided by the destinations capability. */
export interface DestinationStoreProvider {
  sinkForJob(job: Job): Promise<JobSink | undefined>;
  storeForFile(job: Job, file: JobFile): Promise<ObjectStore | undefined>;
}

/**
 * Turns a job's destination reference into a sink, and a stored file back into the store that can
 * presign it. Managed storage is always available; user destinations come from the provider.
 */
export class StorageResolver {
  private destinations: DestinationStoreProvider | undefined;
  private managedS3: ManagedS3Storage | undefined;

  constructor(
    private readonly config: Config,
    private readonly signer: LocalLinkSigner,
  ) {}

  useDestinations(provider: DestinationStoreProvider): void {
    this.destinations = provider;
  }

  /**
   * `sweepStaleUploads`: after a write to the operator's bucket, abort older multipart uploads of the
   * same key (left by a killed attempt). Only a retried attempt can have left one, so first attempts
   * skip the extra listing.
   */
  managedStore(userId: string, options: { sweepStaleUploads?: boolean } = {}): ObjectStore {
    const managed = this.config.managedStorage;
    switch (managed.kind) {
      case 'local':
        return new LocalObjectStore(path.join(managed.dir, userId), this.signer);
      case 's3':
        this.managedS3 ??= new ManagedS3Storage({
          config: managed,
          maxObjectBytes: this.config.maxFileBytes,
        });
        return this.managedS3.forUser(userId, options.sweepStaleUploads ?? true);
    }
  }

  /** Closes the managed bucket's connections (the process is shutting down). */
  close(): void {
    this.managedS3?.destroy();
    this.managedS3 = undefined;
  }

  managedSink(userId: string, options: { sweepStaleUploads?: boolean } = {}): JobSink {
    return {
      storage: 'managed',
      store: this.managedStore(userId, options),
      destinationId: null,
      bucket: null,
      pathPrefix: undefined,
      storageClass: undefined,
      acl: undefined,
      fallback: undefined,
    };
  }

  async sinkForJob(job: Job): Promise<JobSink> {
    const retried = { sweepStaleUploads: job.attempts > 1 };
    if (job.request.destination.kind === 'managed') return this.managedSink(job.userId, retried);
    const sink = this.destinations === undefined ? undefined : await this.destinations.sinkForJob(job);
    if (sink !== undefined) return sink;
    if (job.request.destination.kind === 'default') return this.managedSink(job.userId, retried);
    throw new AppError('DESTINATION_NOT_FOUND', { retryable: false });
  }

  async storeForFile(job: Job, file: JobFile): Promise<ObjectStore | undefined> {
    if (file.storage === 'managed') return this.managedStore(job.userId);
    return this.destinations?.storeForFile(job, file);
  }
}
