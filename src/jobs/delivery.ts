import type { Insertable } from 'kysely';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { JobFileTable } from '../db/job-file.table.js';
import { renameKey } from '../storage/object-key.js';
import type { StoredObject } from '../storage/object-store.js';
import type { JobSink } from '../storage/storage-resolver.js';
import type { IfExists } from './import-request.js';
import type { FileRole } from './job-types.js';

export type KeyDecision =
  | { readonly action: 'write'; readonly key: string; readonly ifNoneMatch: boolean }
  | { readonly action: 'skip'; readonly key: string };

/**
 * Applies `ifExists` to a planned key: overwrite writes as is; fail and rename write with a
 * conditional create so a race cannot replace a file; skip keeps the existing object. Existence is
 * checked with HEAD; a key that may not read (HEAD denied) is treated as free and the conditional
 * write decides.
 */
export async function decideKey(
  sink: JobSink,
  key: string,
  ifExists: IfExists,
  signal: AbortSignal,
): Promise<KeyDecision> {
  switch (ifExists) {
    case 'overwrite':
      return { action: 'write', key, ifNoneMatch: false };
    case 'fail':
      if ((await headOrUndefined(sink, key, signal)) !== undefined)
        throw new AppError('OBJECT_EXISTS', { field: 'ifExists', retryable: false, details: { key } });
      return { action: 'write', key, ifNoneMatch: true };
    case 'skip':
      if ((await headOrUndefined(sink, key, signal)) !== undefined) return { action: 'skip', key };
      return { action: 'write', key, ifNoneMatch: true };
    case 'rename': {
      let candidate = key;
      for (let n = 1; n <= 1000; n += 1) {
        if ((await headOrUndefined(sink, candidate, signal)) === undefined)
          return { action: 'write', key: candidate, ifNoneMatch: true };
        candidate = renameKey(key, n);
      }
      throw new AppError('OBJECT_EXISTS', {
        field: 'ifExists',
        retryable: false,
        message: 'No free name after 1000 renames.',
      });
    }
  }
}

async function headOrUndefined(sink: JobSink, key: string, signal: AbortSignal) {
  try {
    return await sink.store.head(key, signal);
  } catch (error) {
    if (error instanceof AppError && error.code === 'ACCESS_DENIED') return undefined;
    throw error;
  }
}

export function fileRow(
  jobId: string,
  sink: JobSink,
  role: FileRole,
  stored: Pick<StoredObject, 'key' | 'sizeBytes' | 'sha256'>,
  fileName: string,
  contentType: string,
): Insertable<JobFileTable> {
  return {
    id: newId('fil'),
    job_id: jobId,
    role,
    storage: sink.storage,
    destination_id: sink.destinationId,
    bucket: sink.bucket,
    key: stored.key,
    file_name: fileName,
    size_bytes: stored.sizeBytes,
    sha256: stored.sha256,
    content_type: contentType,
    created_at: Date.now(),
  };
}

const STORAGE_FAILURES: ReadonlySet<string> = new Set([
  'ACCESS_DENIED',
  'INVALID_ACCESS_KEY_ID',
  'SIGNATURE_DOES_NOT_MATCH',
  'NO_SUCH_BUCKET',
  'WRONG_REGION',
  'STORAGE_TIMEOUT',
  'STORAGE_UNREACHABLE',
  'STORAGE_TLS',
  'STORAGE_ERROR',
  'INTEGRITY_MISMATCH',
]);

/** Errors where the user's bucket, not the source, failed: these may fall back to managed storage. */
export function isStorageFailure(error: unknown): boolean {
  return error instanceof AppError && STORAGE_FAILURES.has(error.code);
}
