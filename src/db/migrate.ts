import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './database.js';
import * as initial from './migrations/2026-11-23T0800-initial.js';
import * as webhookDeliveries from './migrations/2026-12-06T1000-webhook-deliveries.js';
import * as jobsActiveIndex from './migrations/2026-12-07T0900-jobs-active-index.js';

// Migrations are imported statically (not read from a folder) so the compiled CLI and the tests
// run the same list whatever the working directory.
const MIGRATIONS: Record<string, Migration> = {
  '2026-11-23T0800-initial': initial,
  '2026-12-06T1000-webhook-deliveries': webhookDeliveries,
  '2026-12-07T0900-jobs-active-index': jobsActiveIndex,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export function createMigrator(db: Db): Migrator {
  return new Migrator({ db, provider: new StaticMigrationProvider() });
}

/** Apply every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsApplied(db: Db): Promise<boolean> {
  const migrations = await createMigrator(db).getMigrations();
  return migrations.every((m) => m.executedAt !== undefined);
}
