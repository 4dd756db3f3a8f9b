import type { Db } from '../database.js';

/**
 * Completes playlist parents whose children have all finished, and keeps the counts of running
 * ones current. A parent completes when at least one child completed, fails when none did, and
 * is canceled when it was canceled.
 */
export async function finishParents(db: Db, now: number = Date.now()): Promise<number> {
  const parents = await db
    .selectFrom('jobs')
    .select(['id', 'result', 'cancel_requested'])
    .where('kind', '=', 'playlist')
    .where('status', '=', 'running')
    .limit(200)
    .execute();
  let finished = 0;
  for (const parent of parents) {
    const counts = await db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('parent_id', '=', parent.id)
      .groupBy('status')
      .execute();
    const by = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
    const total = counts.reduce((sum, c) => sum + Number(c.n), 0);
    const completed = by('completed');
    const failed = by('failed') + by('canceled');
    const active = by('queued') + by('running');
    const result = {
      ...(JSON.parse(parent.result ?? '{}') as object),
      children: { total, completed, failed },
    };
    const done = active === 0;
    const status = !done
      ? 'running'
      : parent.cancel_requested === 1
        ? 'canceled'
        : completed > 0
          ? 'completed'
          : 'failed';
    await db
      .updateTable('jobs')
      .set({
        status,
        result: JSON.stringify(result),
        progress_percent: total === 0 ? 100 : ((completed + failed) / total) * 100,
        updated_at: now,
        ...(done
          ? {
              phase: null,
              finished_at: now,
              ...(status === 'failed'
                ? {
                    error: JSON.stringify({
                      code: 'NO_MEDIA_FOUND',
                      message: 'No entry of the playlist could be imported.',
                    }),
                  }
                : {}),
            }
          : {}),
      })
      .where('id', '=', parent.id)
      .where('status', '=', 'running')
      .execute();
    if (done) finished += 1;
  }
  return finished;
}
