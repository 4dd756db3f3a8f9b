import type { JobKind, JobPhase, JobStatus } from '../jobs/job-types.js';

export interface JobTable {
  id: string;
  user_id: string;
  kind: JobKind;
  parent_id: string | null;
  status: JobStatus;
  phase: JobPhase | null;
  /** The validated import request, JSON. */
  request: string;
  idempotency_key: string | null;
  request_hash: string | null;
  request_id: string | null;
  attempts: number;
  max_attempts: number;
  /** Epoch ms before which the job is not claimed (retry backoff). */
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  cancel_requested: number;
  progress_bytes: number;
  progress_total: number | null;
  progress_percent: number | null;
  /** JSON: { url, title, duration, extractor }. */
  source: string | null;
  /** JSON: the result object of DESIGN.md without the files (those are job_files rows). */
  result: string | null;
  /** JSON: { code, message, hint? } of the last failure. */
  error: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}
