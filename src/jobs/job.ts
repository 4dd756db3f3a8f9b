import type { FileRole, JobKind, JobPhase, JobStatus } from './job-types.js';
import type { ImportRequest } from './import-request.js';

export interface JobProgress {
  readonly bytes: number;
  readonly totalBytes: number | null;
  readonly percent: number | null;
}

export interface JobSource {
  readonly url: string;
  readonly title: string | null;
  readonly duration: number | null;
  readonly extractor: string | null;
}

export interface JobFile {
  readonly id: string;
  readonly role: FileRole;
  readonly storage: 'destination' | 'managed';
  readonly destinationId: string | null;
  readonly bucket: string | null;
  readonly key: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly contentType: string;
}

export interface JobResultSummary {
  readonly storage: 'destination' | 'managed';
  readonly fallback?: { readonly reason: string };
  readonly skipped?: boolean;
  readonly children?: { readonly total: number; readonly completed: number; readonly failed: number };
  readonly sha256Stored?: boolean;
}

export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

export interface Job {
  readonly id: string;
  readonly userId: string;
  readonly kind: JobKind;
  readonly parentId: string | null;
  readonly status: JobStatus;
  readonly phase: JobPhase | null;
  readonly request: ImportRequest;
  readonly requestId: string | null;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly cancelRequested: boolean;
  readonly progress: JobProgress;
  readonly source: JobSource | null;
  readonly result: JobResultSummary | null;
  readonly error: JobError | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}
