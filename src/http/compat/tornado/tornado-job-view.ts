import type { ImportView } from '../../../jobs/import-view.js';
import type { JobPhase, JobStatus } from '../../../jobs/job-types.js';
import { primaryFile } from '../compat-files.js';
import type { TornadoJobView, TornadoStatus, TornadoStep } from './tornado.schema.js';

/** Tornado's status words: a canceled import is Failed (Tornado has no cancel). */
export function tornadoStatus(status: JobStatus): TornadoStatus {
  switch (status) {
    case 'queued':
      return 'Pending';
    case 'running':
      return 'Processing';
    case 'completed':
      return 'Completed';
    case 'failed':
    case 'canceled':
      return 'Failed';
  }
}

/** Tornado's processing steps; bucketload's `processing` phase (ffmpeg) is Tornado's Muxing. */
export function tornadoStep(status: JobStatus, phase: JobPhase | null): TornadoStep {
  switch (status) {
    case 'queued':
      return 'Queued';
    case 'completed':
    case 'failed':
    case 'canceled':
      return 'Finished';
    case 'running':
      break;
  }
  switch (phase) {
    case null:
    case 'fetching':
      return 'Downloading';
    case 'processing':
      return 'Muxing';
    case 'uploading':
    case 'verifying':
      return 'Uploading';
  }
}

/**
 * GET /jobs/:id: `s3_url` is the main file's presigned URL (valid for the job's
 * `presignExpiresIn`, 24 h for jobs made through Tornado's POST /jobs), minted fresh on every read.
 */
export function toTornadoJobView(view: ImportView, folder: string | undefined): TornadoJobView {
  const status = tornadoStatus(view.status);
  const file = status === 'Completed' ? primaryFile(view) : undefined;
  const error =
    view.status === 'canceled'
      ? (view.error?.message ?? 'The job was canceled.')
      : status === 'Failed'
        ? (view.error?.message ?? 'The job failed.')
        : null;
  return {
    id: view.id,
    url: view.url,
    status,
    s3_url: file?.presignedUrl ?? null,
    subtitle_url: null,
    error,
    step: tornadoStep(view.status, view.phase),
    title: view.source?.title ?? null,
    folder: folder ?? null,
    file_size: file?.sizeBytes ?? null,
    created_at: Date.parse(view.createdAt),
    completed_at: view.finishedAt === null ? null : Date.parse(view.finishedAt),
  };
}
