import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../db/database.js';

const WORK_DIR = /^(imp_[0-9a-z]{26})-(\d+)$/;

/**
 * Removes per-attempt temp dirs (`<work root>/<job id>-<attempt>`) whose attempt is over: a worker
 * killed with SIGKILL cannot clean up after itself, and its replacement (or a sibling process on the
 * same data dir) must. A dir is kept while this process runs the job, or while the database says
 * that very attempt still holds a live lease (another process on the same data dir). Run at start-up
 * and then periodically by every process with workers. Returns how many dirs were removed.
 */
export async function sweepWorkDirs(
  workRoot: string,
  db: Db,
  runningHere: (jobId: string) => boolean,
  now: number = Date.now(),
): Promise<number> {
  const entries = await fsp.readdir(workRoot).catch(() => [] as string[]);
  let removed = 0;
  for (const entry of entries) {
    const match = WORK_DIR.exec(entry);
    if (match === null) continue;
    const [, jobId = '', attempt = ''] = match;
    if (runningHere(jobId)) continue;
    const row = await db
      .selectFrom('jobs')
      .select(['status', 'attempts', 'lease_expires_at'])
      .where('id', '=', jobId)
      .executeTakeFirst();
    const live =
      row !== undefined &&
      row.status === 'running' &&
      row.attempts === Number(attempt) &&
      Number(row.lease_expires_at ?? 0) >= now;
    if (live || runningHere(jobId)) continue;
    await fsp.rm(path.join(workRoot, entry), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}
