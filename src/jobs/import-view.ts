import type { ObjectStore } from '../storage/object-store.js';
import type { Job, JobFile } from './job.js';

export interface ImportFileView {
  id: string;
  role: string;
  storage: 'destination' | 'managed';
  bucket: string | null;
  key: string;
  fileName: string;
  url: string;
  presignedUrl: string | null;
  presignedUrlExpiresAt: string | null;
  sizeBytes: number;
  sha256: string;
  contentType: string;
}

export interface ImportView {
  id: string;
  status: Job['status'];
  phase: Job['phase'];
  kind: Job['kind'];
  parentId: string | null;
  url: string;
  progress: { bytes: number; totalBytes: number | null; percent: number | null };
  source: { url: string; title: string | null; duration: number | null; extractor: string | null } | null;
  result: {
    storage: 'destination' | 'managed';
    fallback?: { reason: string };
    skipped?: boolean;
    children?: { total: number; completed: number; failed: number };
    files: ImportFileView[];
  } | null;
  error: { code: string; message: string; hint?: string } | null;
  attempts: number;
  metadata: Record<string, string> | null;
  requestId: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type StoreForFile = (file: JobFile) => Promise<ObjectStore | undefined>;

/**
 * The API's view of a job. Presigned URLs are minted on every read (so they are always fresh for
 * `presignExpiresIn`) and never stored.
 */
export async function buildImportView(
  job: Job,
  files: readonly JobFile[],
  options: { publicUrl: string; storeFor: StoreForFile; presign: boolean },
): Promise<ImportView> {
  const fileViews: ImportFileView[] = [];
  for (const file of files) {
    let presignedUrl: string | null = null;
    let expiresAt: string | null = null;
    if (options.presign) {
      const store = await options.storeFor(file).catch(() => undefined);
      if (store !== undefined) {
        const expiresIn = job.request.presignExpiresIn;
        presignedUrl = await store
          .presignGet(file.key, {
            expiresInSeconds: expiresIn,
            fileName: file.fileName,
            contentType: file.contentType,
            scope: file.role === 'hls' || file.role === 'dash' ? 'folder' : 'object',
          })
          .catch(() => null);
        if (presignedUrl !== null) expiresAt = new Date(Date.now() + expiresIn * 1000).toISOString();
      }
    }
    fileViews.push({
      id: file.id,
      role: file.role,
      storage: file.storage,
      bucket: file.bucket,
      key: file.key,
      fileName: file.fileName,
      url:
        file.storage === 'managed'
          ? `${options.publicUrl}/v1/imports/${job.id}/files/${file.id}`
          : `s3://${file.bucket ?? ''}/${file.key}`,
      presignedUrl,
      presignedUrlExpiresAt: expiresAt,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      contentType: file.contentType,
    });
  }
  return {
    id: job.id,
    status: job.status,
    phase: job.phase,
    kind: job.kind,
    parentId: job.parentId,
    url: job.request.url,
    progress: { ...job.progress },
    source: job.source === null ? null : { ...job.source },
    result:
      job.result === null
        ? null
        : {
            storage: job.result.storage,
            ...(job.result.fallback === undefined ? {} : { fallback: { ...job.result.fallback } }),
            ...(job.result.skipped === undefined ? {} : { skipped: job.result.skipped }),
            ...(job.result.children === undefined ? {} : { children: { ...job.result.children } }),
            files: fileViews,
          },
    error: job.error === null ? null : { ...job.error },
    attempts: job.attempts,
    metadata: job.request.metadata === undefined ? null : { ...job.request.metadata },
    requestId: job.requestId,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
