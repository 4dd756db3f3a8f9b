import { createHmac } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { ApiKeyRepository } from '../db/api-key.repository.js';
import { openDatabase, type Database } from '../db/database.js';
import { JobRepository } from '../db/job.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { UserRepository } from '../db/user.repository.js';
import type { AppServices } from '../http/app-services.js';
import { createImportHandler } from '../jobs/import-job-handler.js';
import { ImportService } from '../jobs/import.service.js';
import type { MediaEngine } from '../jobs/media-engine.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import { createNodeProcessRunner } from '../media/process-runner.js';
import { createEgressDispatcher, createEgressPolicy, parseEgressAllow } from '../security/egress/index.js';
import { LinkSigner } from '../security/link-signer.js';
import { loadSecretBox, type SecretBox } from '../security/secret-box.js';
import { createEgressHttpFetcher } from '../sources/direct/egress-http-fetcher.js';
import { createMediaEngine } from '../sources/media-engine.js';
import { sweepLocalTemp } from '../storage/local/local-object-store.js';
import { DestinationRepository } from '../db/destination.repository.js';
import { DestinationService } from '../storage/destinations/destination.service.js';
import { StorageResolver } from '../storage/storage-resolver.js';

export interface Runtime {
  readonly services: AppServices;
  readonly secrets: SecretBox;
  readonly media: MediaEngine;
  /** Starts in-process workers (serve, worker); returns the pool. */
  startWorkers(concurrency: number): WorkerPool;
  close(): Promise<void>;
}

/**
 * The composition root: opens the database (migrating it), and wires repositories, storage, the
 * egress-guarded fetcher, the media engine and the import service with explicit arguments.
 */
export async function createRuntime(config: Config, logger: Logger, options: { migrate?: boolean } = {}): Promise<Runtime> {
  const database: Database = openDatabase(config.databaseUrl);
  if (options.migrate !== false) await migrateToLatest(database.db);
  const secrets = loadSecretBox(config.dataDir, config.masterKey);
  const linkKey = createHmac('sha256', secrets.linkKeyMaterial()).update('bucketload managed-storage links v1').digest();
  const linkSigner = new LinkSigner(linkKey, config.publicUrl);
  const storage = new StorageResolver(config, linkSigner);
  const jobs = new JobRepository(database.db);
  const imports = new ImportService(config, jobs, storage, secrets);
  const policy = createEgressPolicy(parseEgressAllow(config.egressAllow).rules);
  const destinations = new DestinationService({
    repository: new DestinationRepository(database.db),
    secrets,
    policy,
    storage,
    maxFileBytes: config.maxFileBytes,
  });
  storage.useDestinations(destinations);
  imports.useDestinationRefs(destinations);
  const services: AppServices = {
    config,
    logger,
    database,
    users: new UserRepository(database.db),
    keys: new ApiKeyRepository(database.db),
    imports,
    storage,
    linkSigner,
    destinations,
  };

  const dispatcher = createEgressDispatcher(policy);
  const fetcher = createEgressHttpFetcher(policy, dispatcher);
  const runner = createNodeProcessRunner();
  const media = createMediaEngine({ config, runner, policy });
  const workRoot = path.join(config.dataDir, 'work');
  let pool: WorkerPool | undefined;

  return {
    services,
    secrets,
    media,
    startWorkers(concurrency) {
      if (pool !== undefined) return pool;
      void sweepWork(workRoot, config, logger);
      const started = new WorkerPool({
        database,
        concurrency,
        leaseMs: config.leaseSeconds * 1000,
        logger,
        handler: createImportHandler({ config, storage, fetcher, media, workRoot }),
      });
      imports.attachWorkers({ onCreated: () => started.notify(), onCancel: (id) => started.cancelLocal(id) });
      started.start();
      pool = started;
      return started;
    },
    async close() {
      await pool?.stop(10_000);
      await media.close();
      destinations.close();
      await dispatcher.close();
      await database.close();
    },
  };
}

/** Temp dirs of attempts that a crash interrupted (their lease expires and they run again). */
async function sweepWork(workRoot: string, config: Config, logger: Logger): Promise<void> {
  try {
    const entries = await fsp.readdir(workRoot).catch(() => [] as string[]);
    let removed = 0;
    for (const entry of entries) {
      const stat = await fsp.stat(path.join(workRoot, entry)).catch(() => undefined);
      if (stat !== undefined && Date.now() - stat.mtimeMs > config.leaseSeconds * 2000) {
        await fsp.rm(path.join(workRoot, entry), { recursive: true, force: true });
        removed += 1;
      }
    }
    if (config.managedStorage.kind === 'local') removed += await sweepLocalTemp(config.managedStorage.dir);
    if (removed > 0) logger.info({ removed }, 'swept leftovers of interrupted attempts');
  } catch (error) {
    logger.warn({ err: error }, 'sweeping temp files failed');
  }
}
