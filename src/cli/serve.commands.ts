import type { Command } from 'commander';
import { createRuntime } from '../app/runtime.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from '../http/app.js';
import { configOrExit } from './context.js';

/**
 * `serve` (API + in-process workers, or API only with --no-workers) and `worker` (workers only).
 * SIGTERM/SIGINT: stop accepting and claiming, let running jobs finish within the grace period,
 * then release them (their leases expire and another worker retries).
 */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP API (and in-process workers unless --no-workers)')
    .option('--no-workers', 'run the API only; jobs are run by `bucketload worker` processes')
    .option('--grace <seconds>', 'shutdown grace period for running jobs', '20')
    .action(async (opts: { workers: boolean; grace: string }) => {
      const config = configOrExit();
      const logger = createLogger(config.logLevel);
      const runtime = await createRuntime(config, logger);
      const { services } = runtime;
      if ((await services.users.count()) === 0) {
        const admin = await services.users.create('admin', true);
        const { key } = await services.keys.create(admin.id, 'bootstrap');
        process.stderr.write(
          `\nCreated the first user "admin". Its API key, shown only this once:\n\n  ${key}\n\n` +
            `Try: curl -H "Authorization: Bearer ${key}" ${config.publicUrl}/v1/imports\n\n`,
        );
      }
      const app = await buildApp(services);
      const pool = opts.workers && config.workerConcurrency > 0 ? runtime.startWorkers(config.workerConcurrency) : undefined;
      await app.listen({ host: config.host, port: config.port });
      logger.info({ url: config.publicUrl, workers: pool === undefined ? 0 : config.workerConcurrency, database: services.database.capabilities.name }, 'bucketload is serving');
      onShutdown(async () => {
        await app.close();
        await pool?.stop(Number(opts.grace) * 1000);
        await runtime.close();
      });
    });

  program
    .command('worker')
    .description('run job workers only (no HTTP API)')
    .option('--concurrency <n>', 'jobs at once (default BUCKETLOAD_WORKER_CONCURRENCY)')
    .option('--grace <seconds>', 'shutdown grace period for running jobs', '20')
    .action(async (opts: { concurrency?: string; grace: string }) => {
      const config = configOrExit();
      const logger = createLogger(config.logLevel);
      const runtime = await createRuntime(config, logger);
      const concurrency = opts.concurrency === undefined ? Math.max(1, config.workerConcurrency) : Number(opts.concurrency);
      const pool = runtime.startWorkers(concurrency);
      logger.info({ workerId: pool.workerId, concurrency }, 'bucketload worker started');
      onShutdown(async () => {
        await pool.stop(Number(opts.grace) * 1000);
        await runtime.close();
      });
    });
}

function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
