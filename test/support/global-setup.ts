import type { TestProject } from 'vitest/node';
import { ensureMediaFixtures, type MediaFixtures } from './media-fixtures.js';
import { startPostgres } from './postgres.js';

// Once per `vitest run`: shared, real dependencies that test files read with `inject(...)`.
// Each test file still owns its state (its own database on this cluster, its own media server).

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL; tests create their own databases on it. */
    pgUrl: string;
    fixtures: MediaFixtures;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const externalPgUrl = process.env['BUCKETLOAD_TEST_PG_URL'];
  // If one of these fails the other is not stopped here: startPostgres's exit hook removes it.
  const [fixtures, postgres] = await Promise.all([
    ensureMediaFixtures(),
    externalPgUrl ? { url: externalPgUrl, stop: async () => {} } : startPostgres(),
  ]);
  project.provide('fixtures', fixtures);
  project.provide('pgUrl', postgres.url);

  return async () => {
    await postgres.stop();
  };
}
