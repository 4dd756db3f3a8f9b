import type { TestProject } from 'vitest/node';
import { ensureMediaFixtures, type MediaFixtures } from './media-fixtures.js';
import { startPostgres } from './postgres.js';
import { sharedInfo, startMoto, startS3rver, type SharedS3Info } from './s3-servers.js';

// Once per `vitest run`: shared, real dependencies that test files read with `inject(...)`.
// Each test file still owns its state (its own database on this cluster, its own media server).

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's PostgreSQL; tests create their own databases on it. */
    pgUrl: string;
    fixtures: MediaFixtures;
    /** The run's shared S3 servers (moto without IAM enforcement, and s3rver); use `connectShared`. */
    s3: { moto: SharedS3Info; s3rver: SharedS3Info };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const externalPgUrl = process.env['BUCKETLOAD_TEST_PG_URL'];
  // If one of these fails the other is not stopped here: startPostgres's exit hook removes it.
  const [fixtures, postgres, moto, s3rver] = await Promise.all([
    ensureMediaFixtures(),
    externalPgUrl ? { url: externalPgUrl, stop: async () => {} } : startPostgres(),
    startMoto(),
    startS3rver(),
  ]);
  project.provide('fixtures', fixtures);
  project.provide('pgUrl', postgres.url);
  project.provide('s3', { moto: sharedInfo(moto), s3rver: sharedInfo(s3rver) });

  return async () => {
    await Promise.all([postgres.stop(), moto.stop(), s3rver.stop()]);
  };
}
