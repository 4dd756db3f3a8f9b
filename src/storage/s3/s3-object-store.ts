/**
 * The ObjectStore port on an S3-compatible bucket.
 *
 * A write streams the body through a hashing counter into `@aws-sdk/lib-storage`'s Upload: memory is
 * about partSize × (queueSize + 1), the part size grows with the announced size (part-size.ts), and
 * nothing beyond what was asked (ACL, storage class, SSE) is sent. The SHA-256 is known only at the
 * end, so (docs/decisions/002-sha256-metadata.md):
 * - a body that fits in one part is read first, and goes up in one PutObject that already carries
 *   `x-amz-meta-sha256`;
 * - a multipart object gets it afterwards by copying the object onto itself with
 *   MetadataDirective REPLACE (needs read + write; when refused, `sha256Stored` is false).
 * On failure or cancel the multipart upload is aborted after the parts in flight have settled; when
 * the abort itself is refused the error says so in `details.incompleteUpload`.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type PutObjectCommandInput,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../../core/errors.js';
import { contentDisposition, validateObjectKey } from '../object-key.js';
import {
  assertPresignExpiry,
  createHashingCounter,
  type IncompleteUpload,
  type ObjectHead,
  type ObjectStore,
  type PresignGetOptions,
  type PutObjectInput,
  type StoredObject,
} from '../object-store.js';
import { choosePartSize } from './part-size.js';
import { createS3Client, type S3ClientTuning } from './s3-client-factory.js';
import { copyOntoItselfWithSha256 } from './sha256-self-copy.js';
import type { ResolvedS3Destination } from './s3-destination.js';
import { classifyS3Error } from './s3-error-classifier.js';

export interface S3ObjectStoreOptions {
  readonly destination: ResolvedS3Destination;
  /** Timeouts, attempts and the egress agents for the clients this store creates. */
  readonly tuning?: S3ClientTuning;
  /** Parallel part uploads per object. Default 3. */
  readonly queueSize?: number;
  /** Smallest part (≥ 5 MiB). Default 8 MiB. */
  readonly minPartBytes?: number;
  /** Largest object expected when the size is unknown (BUCKETLOAD_MAX_FILE_BYTES). */
  readonly maxObjectBytes?: number;
  /** Objects up to this size get the checksum by CopyObject, larger ones by multipart copy. Default 5 GiB (S3's limit). */
  readonly copyObjectMaxBytes?: number;
  /** Range size for the multipart copy. Default 1 GiB. */
  readonly copyPartBytes?: number;
  /** Bound on the AbortMultipartUpload sent after a failure. Default 30 s. */
  readonly abortTimeoutMs?: number;
}

const SHA256_META = 'sha256';
const MAX_METADATA_BYTES = 2048;
const ASCII_HEADER = /^[\x20-\x7e]*$/u;
const META_KEY = /^[a-z0-9][a-z0-9_-]{0,127}$/u;

/** The headers a write sends for this destination: ACL, storage class and SSE only when configured. */
export function objectWriteParams(
  destination: ResolvedS3Destination,
): Pick<PutObjectCommandInput, 'ACL' | 'StorageClass' | 'ServerSideEncryption' | 'SSEKMSKeyId'> {
  return {
    ...(destination.acl === undefined ? {} : { ACL: destination.acl }),
    ...(destination.storageClass === undefined
      ? {}
      : { StorageClass: destination.storageClass as StorageClass }),
    ...(destination.serverSideEncryption === undefined
      ? {}
      : { ServerSideEncryption: destination.serverSideEncryption as ServerSideEncryption }),
    ...(destination.sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: destination.sseKmsKeyId }),
  };
}

/** Checks user metadata for S3 (lowercase ASCII keys, ASCII values, 2 KB with our sha256). */
export function validateMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  let size = SHA256_META.length + 64;
  for (const [rawKey, value] of Object.entries(metadata ?? {})) {
    const key = rawKey.toLowerCase();
    if (!META_KEY.test(key)) {
      throw new AppError('VALIDATION_FAILED', {
        field: `metadata.${rawKey}`,
        message: 'Metadata keys are letters, digits, - and _.',
      });
    }
    if (typeof value !== 'string' || !ASCII_HEADER.test(value)) {
      throw new AppError('VALIDATION_FAILED', {
        field: `metadata.${rawKey}`,
        message: 'Metadata values must be printable ASCII.',
      });
    }
    out[key] = value;
    size += key.length + value.length;
  }
  if (size > MAX_METADATA_BYTES) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'metadata',
      message: `Metadata is limited to ${MAX_METADATA_BYTES} bytes in all.`,
    });
  }
  return out;
}

function assertHeaderValue(value: string | undefined, field: string): void {
  if (value !== undefined && (value === '' || !ASCII_HEADER.test(value))) {
    throw new AppError('VALIDATION_FAILED', {
      field,
      message: `${field} must be non-empty printable ASCII.`,
    });
  }
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('The upload was canceled.', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/** Adds `details.incompleteUpload` to an error (AppErrors are rebuilt; their fields are read-only). */
function withIncomplete(error: unknown, incomplete: IncompleteUpload | undefined): unknown {
  if (incomplete === undefined) return error;
  if (error instanceof AppError) {
    return new AppError(error.code, {
      message: error.message,
      cause: error.cause,
      retryable: error.retryable,
      details: { ...error.details, incompleteUpload: incomplete },
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.field === undefined ? {} : { field: error.field }),
    });
  }
  if (error instanceof Error) {
    const existing = (error as { details?: Record<string, unknown> }).details;
    return Object.assign(error, { details: { ...existing, incompleteUpload: incomplete } });
  }
  return error;
}

type Send = (command: unknown, options?: Record<string, unknown>) => Promise<unknown>;

/**
 * A view of `client` whose part uploads (UploadPart, the single PutObject) stop when `signal` aborts.
 * lib-storage's own abort only stops waiting: requests in flight would go on for minutes on a slow
 * link. Create/Complete/Abort are left alone so the upload id is always known and can be aborted.
 */
function abortingPartUploads(client: S3Client, signal: AbortSignal): S3Client {
  const send = client.send.bind(client) as unknown as Send;
  const view = Object.create(client) as S3Client;
  Object.defineProperty(view, 'send', {
    value: (command: unknown, options?: Record<string, unknown>) =>
      command instanceof UploadPartCommand || command instanceof PutObjectCommand
        ? send(command, { ...options, abortSignal: signal })
        : send(command, options),
  });
  return view;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly destination: ResolvedS3Destination;
  private readonly client: S3Client;
  private presignClient: S3Client | undefined;
  private readonly options: S3ObjectStoreOptions;

  constructor(options: S3ObjectStoreOptions) {
    this.options = options;
    this.destination = options.destination;
    this.bucket = options.destination.bucket;
    this.client = createS3Client(options.destination, options.tuning);
  }

  /** Closes the clients' connections (and the agents they were given). */
  destroy(): void {
    this.client.destroy();
    this.presignClient?.destroy();
  }

  async put(input: PutObjectInput): Promise<StoredObject> {
    const key = validateObjectKey(input.key);
    const { signal } = input;
    signal.throwIfAborted();
    const metadata = validateMetadata(input.metadata);
    assertHeaderValue(input.contentType, 'contentType');
    assertHeaderValue(input.contentDisposition, 'contentDisposition');
    if (
      input.contentLength !== undefined &&
      (!Number.isSafeInteger(input.contentLength) || input.contentLength < 0)
    ) {
      throw new AppError('VALIDATION_FAILED', {
        field: 'contentLength',
        message: 'contentLength must be a whole number of bytes.',
      });
    }
    const partSize = choosePartSize(input.contentLength, {
      ...(this.options.minPartBytes === undefined ? {} : { minPartBytes: this.options.minPartBytes }),
      ...(this.options.maxObjectBytes === undefined ? {} : { maxObjectBytes: this.options.maxObjectBytes }),
    });

    if (input.ifNoneMatch === true) await this.assertAbsent(key, signal);

    const counter = createHashingCounter(
      input.contentLength === undefined ? {} : { expectedBytes: input.contentLength },
    );
    // Errors of the body reach the counter (pipeline destroys it with them); cancel destroys both.
    pipeline(input.body, counter, { signal }).catch(() => undefined);
    const chunks = counter[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // Anything the counter's iterator throws is a source-side failure (or the cancel), never S3's.
    let sourceError: unknown;
    const pull = async (): Promise<IteratorResult<Buffer>> => {
      try {
        return await chunks.next();
      } catch (error) {
        sourceError ??= error;
        throw error;
      }
    };

    let upload: Upload | undefined;
    let completed = false;
    try {
      // Read up to one part: a body that ends within it is sent whole, checksum included.
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes <= partSize) {
        const next = await pull();
        if (next.done === true) {
          ended = true;
          break;
        }
        head.push(next.value);
        headBytes += next.value.length;
      }

      const body: Buffer | Readable = ended
        ? Buffer.concat(head)
        : Readable.from(
            (async function* () {
              yield* head.splice(0);
              for (;;) {
                const next = await pull();
                if (next.done === true) return;
                yield next.value;
              }
            })(),
            { objectMode: false },
          );

      upload = new Upload({
        client: abortingPartUploads(this.client, signal),
        queueSize: this.options.queueSize ?? 3,
        partSize,
        // We abort ourselves, after every part has settled, and report an abort that fails.
        leavePartsOnError: true,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: input.contentType,
          ...(input.contentDisposition === undefined ? {} : { ContentDisposition: input.contentDisposition }),
          Metadata: ended ? { ...metadata, [SHA256_META]: counter.digest() } : metadata,
          ...objectWriteParams(this.destination),
          ...(input.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
        },
      });
      let reported = 0;
      upload.on('httpUploadProgress', (progress) => {
        const loaded = progress.loaded ?? 0;
        if (loaded > reported) {
          reported = loaded;
          input.onProgress?.(loaded);
        }
      });
      const result = await upload.done();
      completed = true;

      const sizeBytes = counter.bytes;
      const sha256 = counter.digest();
      input.onProgress?.(sizeBytes);
      let etag = result.ETag;
      let sha256Stored = ended;
      if (!ended) {
        const copied = await copyOntoItselfWithSha256(
          this.client,
          {
            bucket: this.bucket,
            key,
            sizeBytes,
            versionId: result.VersionId,
            ...(etag === undefined ? {} : { etag }),
            headers: {
              ContentType: input.contentType,
              ...(input.contentDisposition === undefined
                ? {}
                : { ContentDisposition: input.contentDisposition }),
              Metadata: { ...metadata, [SHA256_META]: sha256 },
              ...objectWriteParams(this.destination),
            },
          },
          {
            ...(this.options.copyObjectMaxBytes === undefined
              ? {}
              : { copyObjectMaxBytes: this.options.copyObjectMaxBytes }),
            ...(this.options.copyPartBytes === undefined
              ? {}
              : { copyPartBytes: this.options.copyPartBytes }),
          },
        );
        sha256Stored = copied !== undefined;
        if (copied?.etag !== undefined) etag = copied.etag;
      }

      // HEAD after upload when the key may read: the stored size must be what we counted.
      const stored = await this.tryHead(key);
      if (stored !== undefined) {
        if (stored.sizeBytes !== sizeBytes) {
          throw new AppError('INTEGRITY_MISMATCH', {
            message: `The storage reports ${stored.sizeBytes} bytes for ${sizeBytes} sent.`,
            details: { key, sentBytes: sizeBytes, storedBytes: stored.sizeBytes },
          });
        }
        sha256Stored = stored.metadata[SHA256_META] === sha256;
        etag = stored.etag ?? etag;
      }
      return { key, sizeBytes, sha256, sha256Stored, ...(etag === undefined ? {} : { etag }) };
    } catch (error) {
      if (completed) throw error;
      const incomplete = upload === undefined ? undefined : await this.abortMultipart(key, upload.uploadId);
      if (signal.aborted) throw withIncomplete(abortError(signal), incomplete);
      if (sourceError !== undefined) throw withIncomplete(sourceError, incomplete);
      if (error instanceof Error && /Exceeded \d+ parts/u.test(error.message)) {
        throw withIncomplete(
          new AppError('FILE_TOO_LARGE', {
            cause: error,
            message: `The object outgrew ${partSize * 10_000} bytes (10,000 parts of ${partSize}).`,
          }),
          incomplete,
        );
      }
      throw withIncomplete(
        classifyS3Error(error, { operation: 'put', bucket: this.bucket, region: this.destination.region }),
        incomplete,
      );
    } finally {
      if (!counter.destroyed && !counter.readableEnded) counter.destroy();
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    validateObjectKey(key);
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return {
        sizeBytes: out.ContentLength ?? 0,
        metadata: Object.fromEntries(
          Object.entries(out.Metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
        ),
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        ...(out.ETag === undefined ? {} : { etag: out.ETag }),
      };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      if (signal?.aborted === true) throw abortError(signal);
      throw classifyS3Error(error, {
        operation: 'head',
        bucket: this.bucket,
        region: this.destination.region,
      });
    }
  }

  async delete(key: string): Promise<void> {
    validateObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return;
      throw classifyS3Error(error, {
        operation: 'delete',
        bucket: this.bucket,
        region: this.destination.region,
      });
    }
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    validateObjectKey(key);
    assertPresignExpiry(options.expiresInSeconds, 'expiresInSeconds');
    const publicEndpoint = this.destination.publicEndpoint;
    const client =
      publicEndpoint === undefined
        ? this.client
        : (this.presignClient ??= createS3Client(this.destination, this.options.tuning, publicEndpoint));
    return presignGetUrl(client, this.bucket, key, options);
  }

  /** Conditional create, part 1: many servers ignore If-None-Match, so look first when allowed. */
  private async assertAbsent(key: string, signal: AbortSignal): Promise<void> {
    let existing: ObjectHead | undefined;
    try {
      existing = await this.head(key, signal);
    } catch (error) {
      // A key that may not read cannot look; the If-None-Match header is then the only guard.
      if (error instanceof AppError && error.code === 'ACCESS_DENIED') return;
      throw error;
    }
    if (existing !== undefined) throw new AppError('OBJECT_EXISTS', { field: 'key', details: { key } });
  }

  private async tryHead(key: string): Promise<ObjectHead | undefined> {
    try {
      return await this.head(key);
    } catch {
      return undefined;
    }
  }

  /** Aborts a multipart upload after a failure; returns what is left behind when that fails. */
  private async abortMultipart(
    key: string,
    uploadId: string | undefined,
  ): Promise<IncompleteUpload | undefined> {
    if (uploadId === undefined) return undefined;
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
        {
          abortSignal: AbortSignal.timeout(this.options.abortTimeoutMs ?? 30_000),
        },
      );
      return undefined;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return undefined; // already gone (completed or aborted elsewhere)
      return { key, uploadId, reason: classifyS3Error(error, { operation: 'abort' }).code };
    }
  }
}

/** A presigned GET that downloads as `fileName` (RFC 5987 `filename*`). */
export async function presignGetUrl(
  client: S3Client,
  bucket: string,
  key: string,
  options: PresignGetOptions,
): Promise<string> {
  return getSignedUrl(
    client,
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ResponseContentDisposition: contentDisposition(options.fileName),
      ...(options.contentType === undefined ? {} : { ResponseContentType: options.contentType }),
    }),
    { expiresIn: options.expiresInSeconds },
  );
}
