import { createRuntime } from '../app/runtime.js';
import type { Config } from '../config/config.js';
import type { AppServices } from '../http/app-services.js';
import type { ImportRequest } from '../jobs/import-request.js';
import type { ImportView } from '../jobs/import-view.js';
import { LocalObjectStore } from '../storage/local/local-object-store.js';
import type { AclName } from '../storage/s3/provider-presets.js';
import type { S3DestinationConfig } from '../storage/s3/s3-destination.js';
import { destinationOwner, resolveCliUser } from './cli-user.js';
import { CliError, EXIT, cliLogger, configOrExit, type ExitCode } from './context.js';
import type { ImportOptions, ImportPlan } from './import.command.js';
import { runOneJob } from './one-job-runner.js';
import { info } from './output.js';
import { createProgressDisplay, formatBytes, type DisplayMode } from './progress-display.js';
import { bucketConfig, sessionTokenWarning } from './s3-target.js';

/**
 * Runs `bucketload import` once its flags are checked: creates the job in the local database and
 * runs it here through the workers' pipeline (see one-job-runner.ts), showing progress, then prints
 * the result. Ctrl-C (or SIGTERM) cancels the attempt: children stopped, upload aborted, partial
 * output removed; a second Ctrl-C quits at once.
 */
export async function runImport(url: string, opts: ImportOptions, plan: ImportPlan): Promise<ExitCode> {
  const config = configOrExit();
  const aws = sessionTokenWarning(opts, config.aws);
  if (aws !== undefined && opts.to !== undefined) info(`warning: ${aws}`);
  const bucket = opts.to === undefined ? undefined : bucketConfig(plan.target!, opts, config.aws);

  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      process.stderr.write('\nquitting at once\n');
      process.exit(EXIT.interrupted);
    }
    if (!opts.json)
      process.stderr.write(
        `\n${signal === 'SIGINT' ? 'interrupted' : signal}: canceling the import (again to quit at once)\n`,
      );
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The display reports retries and fallbacks itself; the log shows errors only unless asked for more.
  const logger = cliLogger(config, config.logLevel === 'info' ? 'error' : config.logLevel);
  const runtime = await createRuntime(config, logger);
  const { services } = runtime;
  try {
    const user =
      opts.destination !== undefined
        ? await destinationOwner(services, opts.destination, opts.user)
        : await resolveCliUser(services, opts.user);
    const request = await buildRequest(services, user.id, url, plan, opts, bucket);
    const { job } = await services.imports.create(user.id, request, {
      rawBody: request,
      requestId: `cli-${process.pid}`,
    });
    const mode: DisplayMode = opts.json
      ? 'json'
      : !opts.progress
        ? 'none'
        : process.stderr.isTTY
          ? 'bar'
          : 'plain';
    const display = createProgressDisplay(mode, { stdout: process.stdout, stderr: process.stderr });
    const where = describeTarget(opts, bucket);
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({ type: 'started', id: job.id, url, to: where, user: user.name })}\n`,
      );
    else if (opts.progress) info(`importing ${url} into ${where} (${job.id})`);

    const started = Date.now();
    const final = await runOneJob({
      services,
      handler: runtime.importHandler,
      jobId: job.id,
      userId: user.id,
      leaseMs: config.leaseSeconds * 1000,
      logger,
      interrupt: interrupt.signal,
      onEvent: (event) => display.handle(event),
    });
    display.finish();
    const view = await services.imports.view(final);
    const result = resultObject(view, services, config, user.id, Date.now() - started);
    if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else printHuman(view, result);

    switch (final.status) {
      case 'completed':
        return EXIT.ok;
      case 'canceled':
        return interrupt.signal.aborted ? EXIT.interrupted : EXIT.failure;
      case 'failed':
      case 'queued':
      case 'running':
        // queued/running: the job was handed to another process that did not finish in time.
        return EXIT.failure;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
}

async function buildRequest(
  services: AppServices,
  userId: string,
  url: string,
  plan: ImportPlan,
  opts: ImportOptions,
  bucket: S3DestinationConfig | undefined,
): Promise<ImportRequest> {
  const ref = bucket ?? opts.destination ?? 'managed';
  const overrides =
    bucket === undefined && opts.destination !== undefined
      ? { storageClass: opts.storageClass, acl: opts.acl }
      : {};
  const destination = await services.imports.resolveDestinationRef(userId, ref, overrides);
  const folder = plan.target?.path ?? opts.path;
  const filename = opts.filename ?? plan.target?.fileStem;
  return {
    url,
    destination,
    outputs: plan.outputs,
    playlist: false,
    ifExists: opts.ifExists,
    presignExpiresIn: plan.presignExpiresIn,
    keyStyle: 'native',
    ...(folder === undefined || folder === '' ? {} : { path: folder }),
    ...(filename === undefined ? {} : { filename }),
    ...(plan.format === undefined ? {} : { format: plan.format }),
    ...(bucket === undefined && opts.destination !== undefined && opts.storageClass !== undefined
      ? { storageClass: opts.storageClass }
      : {}),
    ...(bucket === undefined && opts.destination !== undefined && opts.acl !== undefined
      ? { acl: opts.acl satisfies AclName }
      : {}),
  };
}

function describeTarget(opts: ImportOptions, bucket: S3DestinationConfig | undefined): string {
  if (bucket !== undefined) return opts.to ?? `s3://${bucket.bucket}`;
  if (opts.destination !== undefined) return `destination "${opts.destination}"`;
  return 'managed storage';
}

/** The final JSON object: every file with its key, size, SHA-256 and presigned URL. */
function resultObject(
  view: ImportView,
  services: AppServices,
  config: Config,
  userId: string,
  durationMs: number,
): Record<string, unknown> {
  const local = config.managedStorage.kind === 'local' ? services.storage.managedStore(userId) : undefined;
  const files = (view.result?.files ?? []).map((file) => ({
    role: file.role,
    storage: file.storage,
    bucket: file.bucket,
    key: file.key,
    fileName: file.fileName,
    url: file.url,
    ...(file.storage === 'managed' && local instanceof LocalObjectStore
      ? { path: local.pathOf(file.key) }
      : {}),
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    contentType: file.contentType,
    presignedUrl: file.presignedUrl,
    presignedUrlExpiresAt: file.presignedUrlExpiresAt,
  }));
  return {
    type: 'result',
    id: view.id,
    status: view.status,
    url: view.url,
    storage: view.result?.storage ?? null,
    ...(view.result?.fallback === undefined ? {} : { fallback: view.result.fallback }),
    ...(view.result?.skipped === undefined ? {} : { skipped: view.result.skipped }),
    source: view.source,
    files,
    error: view.error,
    attempts: view.attempts,
    durationMs,
  };
}

function printHuman(view: ImportView, result: Record<string, unknown>): void {
  const seconds = ((result['durationMs'] as number) / 1000).toFixed(1);
  if (view.status === 'completed') {
    if (view.result?.fallback !== undefined)
      info(
        `warning: the bucket failed (${view.result.fallback.reason}); the files went to managed storage instead`,
      );
    process.stdout.write(
      `completed ${view.id} in ${seconds} s${view.result?.skipped === true ? ' (skipped: the object already existed)' : ''}\n`,
    );
    for (const file of result['files'] as Array<Record<string, unknown>>) {
      const where = typeof file['path'] === 'string' ? file['path'] : file['url'];
      process.stdout.write(
        `  ${String(file['role']).padEnd(9)} ${String(where)}  ${formatBytes(Number(file['sizeBytes']))}  sha256 ${String(file['sha256'])}\n`,
      );
      if (typeof file['presignedUrl'] === 'string' && file['path'] === undefined)
        process.stdout.write(`  ${''.padEnd(9)} ${file['presignedUrl']}\n`);
    }
    return;
  }
  if (view.status === 'canceled') {
    info(`canceled ${view.id}: nothing was kept`);
    return;
  }
  const error = view.error ?? { code: 'INTERNAL', message: 'The import failed.' };
  throw new CliError(
    `import ${view.id} failed after ${view.attempts} attempt(s): ${error.message}`,
    EXIT.failure,
    error.code,
    error.hint,
  );
}
