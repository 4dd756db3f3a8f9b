import path from 'node:path';
import type { Config } from '../config/config.js';
import { AppError } from '../core/errors.js';
import type { Job, JobFile } from '../jobs/job.js';
import { LocalObjectStore, type LocalLinkSigner } from './local/local-object-store.js';
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

  constructor(
    private readonly config: Config,
    private readonly signer: LocalLinkSigner,
  ) {}

  useDestinations(provider: DestinationStoreProvider): void {
    this.destinations = provider;
  }

  managedStore(userId: string): ObjectStore {
    const managed = this.config.managedStorage;
    switch (managed.kind) {
      case 'local':
        return new LocalObjectStore(path.join(managed.dir, userId), this.signer);
      case 's3':
        throw new AppError('INTERNAL', { message: 'S3 managed storage is not configured in this build.' });
    }
  }

  managedSink(userId: string): JobSink {
    return {
      storage: 'managed',
      store: this.managedStore(userId),
      destinationId: null,
      bucket: null,
      pathPrefix: undefined,
      storageClass: undefined,
      acl: undefined,
      fallback: undefined,
    };
  }

  async sinkForJob(job: Job): Promise<JobSink> {
    if (job.request.destination.kind === 'managed') return this.managedSink(job.userId);
    const sink = this.destinations === undefined ? undefined : await this.destinations.sinkForJob(job);
    if (sink !== undefined) return sink;
    if (job.request.destination.kind === 'default') return this.managedSink(job.userId);
    throw new AppError('DESTINATION_NOT_FOUND', { retryable: false });
  }

  async storeForFile(job: Job, file: JobFile): Promise<ObjectStore | undefined> {
    if (file.storage === 'managed') return this.managedStore(job.userId);
    return this.destinations?.storeForFile(job, file);
  }
}
