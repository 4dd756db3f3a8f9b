/**
 * Managed storage on the operator's bucket (`BUCKETLOAD_MANAGED_STORAGE=s3://bucket/prefix?…`).
 *
 * Every user gets a view of one shared S3ObjectStore whose keys live under `<prefix>/<userId>/`; the
 * view speaks user-relative keys (what job_files rows and results show), so a result is the same
 * whether managed storage is a local directory or a bucket. Downloads are presigned GETs minted by
 * the bucket itself, so any API process can serve any result without sharing a disk.
 *
 * The operator's bucket is trusted configuration, not user input: its client does not go through the
 * egress policy (docs/decisions/012-scale-out.md). A private endpoint (MinIO on the LAN) is also
 * added to the egress allow-list as `host:port` by `managedEgressAllow`, because ffprobe reads a
 * stored object back by its presigned URL through the filtering proxy.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ManagedS3Config } from '../../config/config.js';
import type {
  ObjectHead,
  ObjectStore,
  PresignGetOptions,
  PutObjectInput,
  StoredObject,
} from '../object-store.js';
import { createS3Client, type S3ClientTuning } from '../s3/s3-client-factory.js';
import { resolveS3Destination, type ResolvedS3Destination } from '../s3/s3-destination.js';
import { S3ObjectStore } from '../s3/s3-object-store.js';

export interface ManagedS3StorageOptions {
  readonly config: ManagedS3Config;
  /** BUCKETLOAD_MAX_FILE_BYTES: sizes multipart parts when the length is unknown. */
  readonly maxObjectBytes: number;
  readonly tuning?: S3ClientTuning;
  /** Told about stale multipart uploads that could not be aborted (never fatal). */
  readonly onJanitorError?: (error: unknown) => void;
}

/** Resolves the managed bucket's connection settings like a user destination's ('other' preset off AWS). */
export function resolveManagedS3(config: ManagedS3Config): ResolvedS3Destination {
  return resolveS3Destination({
    provider: config.endpoint === undefined ? 'aws' : 'other',
    endpoint: config.endpoint,
    region: config.region,
    bucket: config.bucket,
    accessKeyId: config.credentials.accessKeyId,
    secretAccessKey: config.credentials.secretAccessKey,
    forcePathStyle: config.forcePathStyle,
  });
}

/**
 * The `host:port` allow entry for a managed endpoint given explicitly (`endpoint=`), in the syntax of
 * BUCKETLOAD_EGRESS_ALLOW; undefined for AWS's public endpoints, which need none.
 */
export function managedEgressAllow(config: ManagedS3Config): string | undefined {
  if (config.endpoint === undefined) return undefined;
  const url = new URL(config.endpoint);
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.hostname}:${port}`;
}

export class ManagedS3Storage {
  readonly bucket: string;
  private readonly store: S3ObjectStore;
  private readonly janitor: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: ManagedS3StorageOptions) {
    const destination = resolveManagedS3(options.config);
    this.bucket = destination.bucket;
    this.prefix = options.config.prefix;
    this.store = new S3ObjectStore({
      destination,
      maxObjectBytes: options.maxObjectBytes,
      ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
    });
    this.janitor = createS3Client(destination, options.tuning);
  }

  /** The full key of a user's object in the bucket. */
  fullKey(userId: string, key: string): string {
    return [this.prefix, userId, key].filter((part) => part !== '').join('/');
  }

  /** `sweepStaleUploads`: after each write, abort older multipart uploads of the key (see `abortStaleUploads`). */
  forUser(userId: string, sweepStaleUploads = true): ObjectStore {
    return new ManagedUserStore(this, this.store, userId, sweepStaleUploads);
  }

  /**
   * Aborts multipart uploads of `fullKey` that began before `before`: what a killed worker's attempt
   * left behind (it could not abort its own upload). Called after a write to that key succeeded: an
   * older upload of the same key is either garbage or a slower writer that would overwrite the newer
   * object, so stopping it is right either way. Best effort; a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) is the backstop.
   */
  async abortStaleUploads(fullKey: string, before: number): Promise<number> {
    let aborted = 0;
    try {
      const listed = await this.janitor.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: fullKey }),
      );
      for (const upload of listed.Uploads ?? []) {
        if (upload.Key !== fullKey || upload.UploadId === undefined) continue;
        if (upload.Initiated !== undefined && upload.Initiated.getTime() >= before) continue;
        await this.janitor.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, UploadId: upload.UploadId }),
        );
        aborted += 1;
      }
    } catch (error) {
      this.options.onJanitorError?.(error);
    }
    return aborted;
  }

  destroy(): void {
    this.store.destroy();
    this.janitor.destroy();
  }
}

/** One user's managed storage: user-relative keys over the shared bucket store. */
class ManagedUserStore implements ObjectStore {
  readonly kind = 's3' as const;

  constructor(
    private readonly storage: ManagedS3Storage,
    private readonly store: S3ObjectStore,
    private readonly userId: string,
    private readonly sweepStaleUploads: boolean,
  ) {}

  async put(input: PutObjectInput): Promise<StoredObject> {
    const full = this.storage.fullKey(this.userId, input.key);
    // A second of slack: S3 reports `Initiated` in whole seconds on some servers.
    const startedAt = Date.now() - 1000;
    const stored = await this.store.put({ ...input, key: full });
    if (this.sweepStaleUploads) await this.storage.abortStaleUploads(full, startedAt);
    return { ...stored, key: input.key };
  }

  head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    return this.store.head(this.storage.fullKey(this.userId, key), signal);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(this.storage.fullKey(this.userId, key));
  }

  presignGet(key: string, options: PresignGetOptions): Promise<string> {
    return this.store.presignGet(this.storage.fullKey(this.userId, key), options);
  }
}
