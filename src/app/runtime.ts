import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { ApiKeyRepository } from '../db/api-key.repository.js';
import { openDatabase, type Database } from '../db/database.js';
import { JobRepository } from '../db/job.repository.js';
import { migrateToLatest } from '../db/migrate.js';
import { WebhookDispatcher } from '../events/webhook-dispatcher.js';
import { UserRepository } from '../db/user.repository.js';
import type { AppServices } from '../http/app-services.js';
import { createImportHandler } from '../jobs/import-job-handler.js';
import { ImportService } from '../jobs/import.service.js';
import type { MediaEngine } from '../jobs/media-engine.js';
import { sweepWorkDirs } from '../jobs/work-dir-janitor.js';
import { WorkerPool, type JobHandler } from '../jobs/worker-pool.js';
import { createNodeProcessRunner } from '../media/process-runner.js';
import { createEgressDispatcher, createEgressPolicy, parseEgressAllow } from '../security/egress/index.js';
import { Metrics } from '../observability/metrics.js';
import { LinkSigner, loadLinkKey } from '../security/link-signer.js';
import { loadSecretBox, type SecretBox } from '../security/secret-box.js';
import { createEgressHttpFetcher } from '../sources/direct/egress-http-fetcher.js';
import { createMediaEngine } from '../sources/media-engine.js';
import { sweepLocalTemp } from '../storage/local/local-object-store.js';
import { DestinationRepository } from '../db/destination.repository.js';
import { DestinationService } from '../storage/destinations/destination.service.js';
import { managedEgressAllow } from '../storage/managed/managed-s3-storage.js';
import { StorageResolver } from '../storage/storage-resolver.js';

export interface Runtime {
  readonly services: AppServices;
  readonly secrets: SecretBox;
  readonly media: MediaEngine;
  /** The import pipeline the workers run; `bucketload import` runs its one job through it directly. */
  readonly importHandler: JobHandler;
  /** Starts in-process workers (serve, worker); returns the pool. */
  startWorkers(concurrency: number): WorkerPool;
  close(): Promise<void>;
}

/**
 * The composition root: opens the database (migrating it), and wires repositories, storage, the
 * egress-guarded fetcher, the media engine and the import service with explicit arguments.
 */
export async function createRuntime(
  config: Config,
  logger: Logger,
  options: { migrate?: boolean } = {},
): Promise<Runtime> {
  const database: Database = openDatabase(config.databaseUrl);
  if (options.migrate !== false) await migrateToLatest(database.db);
  const secrets = loadSecretBox(config.dataDir, config.masterKey);
  const linkSigner = new LinkSigner(loadLinkKey(config.dataDir), config.publicUrl);
  const storage = new StorageResolver(config, linkSigner);
  const jobs = new JobRepository(database.db);
  const imports = new ImportService(config, jobs, storage, secrets);
  // The operator's managed bucket is trusted configuration: its own client skips the policy, and a
  // private endpoint is allow-listed so ffprobe can read stored objects back through the proxy
  // (docs/decisions/012-scale-out.md).
  const managedAllow =
    config.managedStorage.kind === 's3' ? managedEgressAllow(config.managedStorage) : undefined;
  const policy = createEgressPolicy([
    ...parseEgressAllow(config.egressAllow).rules,
    ...(managedAllow === undefined ? [] : parseEgressAllow(managedAllow).rules),
  ]);
  const metrics = new Metrics(database);
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
    metrics,
  };

  const dispatcher = createEgressDispatcher(policy);
  const fetcher = createEgressHttpFetcher(policy, dispatcher);
  const runner = createNodeProcessRunner();
  const media = createMediaEngine({ config, runner, policy });
  const workRoot = path.join(config.dataDir, 'work');
  const importHandler = createImportHandler({ config, storage, fetcher, media, workRoot });
  let pool: WorkerPool | undefined;
  let webhooks: WebhookDispatcher | undefined;
  let janitor: NodeJS.Timeout | undefined;

  return {
    services,
    secrets,
    media,
    importHandler,
    startWorkers(concurrency) {
      if (pool !== undefined) return pool;
      void sweepWork(workRoot, config, logger);
      // Webhooks are delivered by the processes that run workers (serve, or `worker` in scale-out).
      const hooks = new WebhookDispatcher({
        database,
        policy,
        dispatcher,
        logger,
        backoffSeconds: config.webhookBackoffSeconds,
        maxAttempts: config.webhookMaxAttempts,
        onAttempt: (outcome) => metrics.observeWebhook(outcome),
        jobs: {
          load: async (jobId) => {
            const job = await jobs.findById(jobId);
            if (job === undefined) return undefined;
            return {
              view: await imports.view(job),
              userId: job.userId,
              secretSealed: job.request.webhook?.secretSealed,
            };
          },
          openSecret: (userId, sealed) => secrets.open(sealed, `inline:${userId}`),
        },
      });
      const started = new WorkerPool({
        database,
        concurrency,
        leaseMs: config.leaseSeconds * 1000,
        logger,
        handler: importHandler,
        onJobEnd: () => hooks.notify(),
        onAttemptEnd: (event) => metrics.observeAttempt(event),
      });
      imports.attachWorkers({ onCreated: () => started.notify(), onCancel: (id) => started.cancelLocal(id) });
      metrics.trackPool(started);
      started.start();
      hooks.start();
      // Temp dirs of attempts killed without a chance to clean up (SIGKILL, OOM), here or in a
      // sibling process on the same data dir.
      janitor = setInterval(
        () => {
          sweepWorkDirs(workRoot, database.db, (id) => started.isRunning(id)).catch((error: unknown) =>
            logger.warn({ err: error }, 'sweeping work dirs failed'),
          );
        },
        Math.max(2000, config.leaseSeconds * 1000),
      );
      janitor.unref();
      pool = started;
      webhooks = hooks;
      return started;
    },
    async close() {
      clearInterval(janitor);
      await pool?.stop(10_000);
      await webhooks?.stop();
      await media.close();
      destinations.close();
      storage.close();
      // close() waits for in-flight requests; a body nobody reads would hold it forever.
      await Promise.race([dispatcher.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      await dispatcher.destroy().catch(() => {});
      metrics.close();
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
