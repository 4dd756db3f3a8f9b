import type { Selectable } from 'kysely';
import type { Job, JobFile } from '../jobs/job.js';
import type { FileRole } from '../jobs/job-types.js';
import type { JobFileTable } from './job-file.table.js';
import type { JobTable } from './job.table.js';

export type JobRow = Selectable<JobTable>;

function parseJson<T>(value: string | null): T | null {
  return value === null ? null : (JSON.parse(value) as T);
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    parentId: row.parent_id,
    status: row.status,
    phase: row.phase,
    request: JSON.parse(row.request) as Job['request'],
    requestId: row.request_id,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    cancelRequested: row.cancel_requested === 1,
    progress: {
      bytes: Number(row.progress_bytes),
      totalBytes: row.progress_total === null ? null : Number(row.progress_total),
      percent: row.progress_percent,
    },
    source: parseJson(row.source),
    result: parseJson(row.result),
    error: parseJson(row.error),
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    startedAt: row.started_at === null ? null : new Date(Number(row.started_at)),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)),
  };
}

export function toJobFile(row: Selectable<JobFileTable>): JobFile {
  return {
    id: row.id,
    role: row.role as FileRole,
    storage: row.storage === 'destination' ? 'destination' : 'managed',
    destinationId: row.destination_id,
    bucket: row.bucket,
    key: row.key,
    fileName: row.file_name,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    contentType: row.content_type,
  };
}
