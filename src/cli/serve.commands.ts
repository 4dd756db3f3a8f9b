import type { Command } from 'commander';
import { createLogger } from '../core/logger.js';
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
      const { createRuntime, buildApp } = await loadServer();
      const runtime = await createRuntime(config, logger);
      const { services } = runtime;
      // First start: no admin, or only the key-less admin that a CLI command created on its own.
      const admins = (await services.users.list()).filter((user) => user.isAdmin);
      const keyless =
        admins.length === 1 &&
        admins[0] !== undefined &&
        (await services.keys.list({ userId: admins[0].id })).length === 0;
      if (admins.length === 0 || keyless) {
        const admin = admins[0] ?? (await services.users.create('admin', true));
        const { key } = await services.keys.create(admin.id, 'bootstrap');
        process.stderr.write(
          `\n${keyless ? 'Created a first API key for' : 'Created the first user'} "${admin.name}". Its API key, shown only this once:\n\n  ${key}\n\n` +
            `Try: curl -H "Authorization: Bearer ${key}" ${config.publicUrl}/v1/imports\n\n`,
        );
      }
      const app = await buildApp(services);
      const pool =
        opts.workers && config.workerConcurrency > 0
          ? runtime.startWorkers(config.workerConcurrency)
          : undefined;
      await app.listen({ host: config.host, port: config.port });
      logger.info(
        {
          url: config.publicUrl,
          workers: pool === undefined ? 0 : config.workerConcurrency,
          database: services.database.capabilities.name,
        },
        'bucketload is serving',
      );
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
    .option('--metrics-port <port>', 'serve GET /metrics (Prometheus) on BUCKETLOAD_HOST:port')
    .action(async (opts: { concurrency?: string; grace: string; metricsPort?: string }) => {
      const config = configOrExit();
      const logger = createLogger(config.logLevel);
      const { createRuntime, startMetricsServer } = await loadServer();
      const runtime = await createRuntime(config, logger);
      const concurrency =
        opts.concurrency === undefined ? Math.max(1, config.workerConcurrency) : Number(opts.concurrency);
      const pool = runtime.startWorkers(concurrency);
      const metrics = runtime.services.metrics;
      const metricsServer =
        opts.metricsPort === undefined || metrics === undefined
          ? undefined
          : await startMetricsServer(metrics, config.host, Number(opts.metricsPort));
      logger.info(
        { workerId: pool.workerId, concurrency, metricsPort: metricsServer?.port },
        'bucketload worker started',
      );
      onShutdown(async () => {
        await pool.stop(Number(opts.grace) * 1000);
        await metricsServer?.close();
        await runtime.close();
      });
    });
}

/** The server's modules, loaded on use: `--help` and the one-shot commands do not pay for them. */
async function loadServer() {
  const [{ createRuntime }, { buildApp }, { startMetricsServer }] = await Promise.all([
    import('../app/runtime.js'),
    import('../http/app.js'),
    import('../observability/metrics-server.js'),
  ]);
  return { createRuntime, buildApp, startMetricsServer };
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
