/**
 * Puts `x-amz-meta-sha256` onto an object that is already stored, by copying it onto itself with
 * MetadataDirective REPLACE (server-side: no bytes pass through us). Used for multipart uploads,
 * whose metadata is fixed before the hash is known. See docs/decisions/002-sha256-metadata.md.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { choosePartSize, S3_MAX_PART_BYTES, S3_MIN_PART_BYTES } from './part-size.js';

export interface SelfCopyTarget {
  readonly bucket: string;
  readonly key: string;
  readonly sizeBytes: number;
  /** The ETag of the object we wrote: the copy is made only from that object (CopySourceIfMatch). */
  readonly etag?: string;
  /** The version the upload created, on versioned buckets. */
  readonly versionId?: string | undefined;
  /**
   * Every header the object should keep: REPLACE drops what is not sent again, and copies do not keep
   * ACLs or the storage class. Metadata must include the sha256.
   */
  readonly headers: Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body'>;
}

export interface SelfCopyOptions {
  /** Up to this size one CopyObject; above, a multipart copy. Default 5 GiB (S3's CopyObject limit). */
  readonly copyObjectMaxBytes?: number;
  /** Range size for the multipart copy. Default 1 GiB (and at least what 10,000 parts need). */
  readonly copyPartBytes?: number;
}

/** `bucket/key` for x-amz-copy-source: each segment percent-encoded, slashes kept. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Copies the object onto itself with new headers. Returns `{ etag }` (the new ETag, when the server
 * gives one) when it worked, undefined when the copy was refused or failed: the object then stays as
 * uploaded, only without the new metadata. Never throws.
 */
export async function copyOntoItselfWithSha256(
  client: S3Client,
  target: SelfCopyTarget,
  options: SelfCopyOptions = {},
): Promise<{ etag?: string } | undefined> {
  const { bucket, key } = target;
  const ifMatch = target.etag === undefined ? {} : { CopySourceIfMatch: target.etag };
  let etag: string | undefined;
  try {
    if (target.sizeBytes <= (options.copyObjectMaxBytes ?? S3_MAX_PART_BYTES)) {
      const out = await client.send(
        new CopyObjectCommand({
          ...target.headers,
          Bucket: bucket,
          Key: key,
          CopySource: copySource(bucket, key),
          MetadataDirective: 'REPLACE',
          ...ifMatch,
        }),
      );
      etag = out.CopyObjectResult?.ETag;
    } else {
      etag = await multipartCopy(client, target, options, ifMatch);
    }
  } catch {
    return undefined;
  }
  // On a versioned bucket the copy is a new version; drop the one without the checksum (best effort).
  if (target.versionId !== undefined && target.versionId !== 'null') {
    await client
      .send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: target.versionId }))
      .catch(() => undefined);
  }
  return etag === undefined ? {} : { etag };
}

/** CopyObject stops at 5 GiB; beyond, the object is copied onto itself range by range. */
async function multipartCopy(
  client: S3Client,
  target: SelfCopyTarget,
  options: SelfCopyOptions,
  ifMatch: { CopySourceIfMatch?: string },
): Promise<string | undefined> {
  const { bucket, key, sizeBytes } = target;
  const created = await client.send(
    new CreateMultipartUploadCommand({ ...target.headers, Bucket: bucket, Key: key }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
  try {
    const rangeBytes = Math.min(
      S3_MAX_PART_BYTES,
      Math.max(S3_MIN_PART_BYTES, options.copyPartBytes ?? 1024 * 1024 * 1024, choosePartSize(sizeBytes)),
    );
    const parts: CompletedPart[] = [];
    for (let start = 0, part = 1; start < sizeBytes; start += rangeBytes, part += 1) {
      const end = Math.min(start + rangeBytes, sizeBytes) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: part,
          CopySource: copySource(bucket, key),
          CopySourceRange: `bytes=${start}-${end}`,
          ...ifMatch,
        }),
      );
      parts.push({ PartNumber: part, ETag: out.CopyPartResult?.ETag });
    }
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    return done.ETag;
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}
