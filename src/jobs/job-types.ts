/**
 * Core job types.
 *
 * Glossary
 * - job: one import request, a row in `jobs`; the jobs table is the queue.
 * - attempt: one run of a job by a worker under a lease; a job has up to `max_attempts`.
 * - lease: the claim a worker holds on a running job until `lease_expires_at`; renewed by heartbeats.
 *   An expired lease means the worker died, and another worker may claim the job again.
 * - destination: a user's own S3-compatible bucket with encrypted credentials.
 * - managed storage: where files go without a destination (local dir or the operator's bucket).
 * - artifact: one file a job produces (role file, audio, thumbnail, hls, dash).
 * - egress policy: the rule deciding which addresses outbound connections may reach.
 */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_PHASES = ['fetching', 'processing', 'uploading', 'verifying'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export type JobKind = 'import' | 'playlist';

export const FILE_ROLES = ['file', 'audio', 'thumbnail', 'hls', 'dash'] as const;
export type FileRole = (typeof FILE_ROLES)[number];

export function isTerminal(status: JobStatus): boolean {
  switch (status) {
    case 'completed':
    case 'failed':
    case 'canceled':
      return true;
    case 'queued':
    case 'running':
      return false;
  }
}
