import type { Insertable } from 'kysely';
import { newId } from '../../core/ids.js';
import type { ImportRequest } from '../../jobs/import-request.js';
import type { Db } from '../database.js';
import type { JobTable } from '../job.table.js';

/**
 * Turns a claimed job into a playlist parent: inserts one queued child per entry and releases the
 * parent's lease (parents are never claimed; `finishParents` completes them when their children
 * are done). One transaction, guarded by the lease, so a retried attempt cannot spawn twice.
 */
export async function spawnChildren(
  db: Db,
  parent: {
    id: string;
    userId: string;
    maxAttempts: number;
    requestId: string | null;
    request: { url: string };
  },
  workerId: string,
  children: readonly ImportRequest[],
  summary: { storage: 'destination' | 'managed'; title: string | null },
  now: number = Date.now(),
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('jobs')
      .set({
        kind: 'playlist',
        status: children.length === 0 ? 'completed' : 'running',
        phase: children.length === 0 ? null : 'processing',
        lease_owner: null,
        lease_expires_at: null,
        progress_percent: children.length === 0 ? 100 : 0,
        source: JSON.stringify({
          url: parent.request.url,
          title: summary.title,
          duration: null,
          extractor: 'playlist',
        }),
        result: JSON.stringify({
          storage: summary.storage,
          children: { total: children.length, completed: 0, failed: 0 },
        }),
        updated_at: now,
        ...(children.length === 0 ? { finished_at: now } : {}),
      })
      .where('id', '=', parent.id)
      .where('lease_owner', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    const rows: Insertable<JobTable>[] = children.map((request, index) => ({
      id: newId('imp'),
      user_id: parent.userId,
      kind: 'import',
      parent_id: parent.id,
      status: 'queued',
      phase: null,
      request: JSON.stringify(request),
      idempotency_key: null,
      request_hash: null,
      request_id: parent.requestId,
      attempts: 0,
      max_attempts: parent.maxAttempts,
      run_at: now,
      cancel_requested: 0,
      progress_bytes: 0,
      // Children keep the playlist's order in listings (newest first): later entries, later times.
      created_at: now + index,
      updated_at: now,
    }));
    if (rows.length > 0) await trx.insertInto('jobs').values(rows).execute();
    return true;
  });
}
