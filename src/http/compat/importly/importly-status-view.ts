import type { ImportView } from '../../../jobs/import-view.js';
import type { JobStatus } from '../../../jobs/job-types.js';
import { objectLocation, primaryFile } from '../compat-files.js';
import type { ImportlyStatus, ImportlyStatusData } from './importly.schema.js';

/**
 * Kept in the job's `metadata` (visible in the native view too): the normalised ImportRequest has
 * no field for it, and GET /import/status must know how the job was asked for.
 */
export const RETURN_LOCATION_METADATA = 'importly.storageReturnLocation';

/** Importly's status words; a canceled import is failed (Importly has no cancel). */
export function importlyStatus(status: JobStatus): ImportlyStatus {
  switch (status) {
    case 'queued':
      return 'queued';
    case 'running':
      return 'processing';
    case 'completed':
      return 'completed';
    case 'failed':
    case 'canceled':
      return 'failed';
  }
}

/**
 * GET /import/status?id=. `s3Storage` is present only when the file is in the user's bucket;
 * after a fallback to managed storage the answer carries the standard (managed) `mediaUrl`, as
 * Importly's FAQ describes. `mediaUrl` is the object's S3 URL when the import asked for
 * `storageReturnLocation`, else a download URL that works without credentials (presigned).
 */
export function toImportlyStatus(view: ImportView): ImportlyStatusData {
  const status = importlyStatus(view.status);
  const file = status === 'completed' ? primaryFile(view) : undefined;
  const returnLocation = view.metadata?.[RETURN_LOCATION_METADATA] === 'true';
  let mediaUrl: string | null = null;
  let s3Storage: ImportlyStatusData['s3Storage'];
  if (file !== undefined) {
    if (file.storage === 'destination' && file.bucket !== null) {
      const location = objectLocation(file);
      s3Storage = { url: location, bucket: file.bucket, key: file.key };
      mediaUrl = returnLocation ? location : (file.presignedUrl ?? location);
    } else {
      mediaUrl = file.presignedUrl ?? file.url;
    }
  }
  const failed = status === 'failed';
  return {
    jobId: view.id,
    status,
    mediaUrl,
    ...(s3Storage === undefined ? {} : { s3Storage }),
    title: view.source?.title ?? null,
    duration: view.source?.duration ?? null,
    fileSizeBytes: file?.sizeBytes ?? null,
    costInDollars: 0,
    ...(failed
      ? {
          error:
            view.error?.message ??
            (view.status === 'canceled' ? 'The import was canceled.' : 'The import failed.'),
        }
      : {}),
  };
}
