import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { AppError } from '../core/errors.js';
import type { VerificationView } from '../storage/destinations/destination-input.js';
import { destinationOwner, resolveCliUser } from './cli-user.js';
import { EXIT, configOrExit, runCommand, usageError, withRuntime, type ExitCode } from './context.js';
import { info, printJson, printTable } from './output.js';
import {
  addBucketOptions,
  bucketConfig,
  bucketFlagsGiven,
  parseS3Target,
  sessionTokenWarning,
  type BucketFlags,
} from './s3-target.js';

interface TestOptions extends BucketFlags {
  readonly to?: string;
  readonly name?: string;
  readonly user?: string;
  readonly json: boolean;
}

interface AddOptions extends BucketFlags {
  readonly to: string;
  readonly user?: string;
  readonly default: boolean;
  readonly publicEndpoint?: string;
  readonly json: boolean;
}

/**
 * `destinations test|add|list|remove`: the same verification and capability report as
 * `POST /v1/destinations/test`, and saved destinations (encrypted secrets) for `import --destination`.
 */
export function registerDestinationCommands(program: Command): void {
  const destinations = program.command('destinations').description('test and manage S3 destinations');

  addBucketOptions(
    destinations
      .command('test')
      .description(
        'verify a bucket (a marker PutObject, then read, list, presign and delete probes) and print the capability report',
      )
      .argument('[s3url]', 's3://bucket/prefix to test (same as --to)')
      .option('--to <s3url>', 's3://bucket/prefix to test')
      .option('--name <name>', 'test a saved destination instead (its report is stored)')
      .option('--user <name>', 'owner of the saved destination (default: the only user with that name)'),
  )
    .option('--json', 'print the report as JSON', false)
    .addHelpText(
      'after',
      '\nExit codes: 0 the bucket can receive files, 1 verification failed (the classified error and a hint are printed), 2 usage, 3 configuration, 4 no such destination.',
    )
    .action(async (s3url: string | undefined, opts: TestOptions) => {
      await runCommand(opts.json, () => testCommand(s3url, opts));
    });

  addBucketOptions(
    destinations
      .command('add')
      .description(
        'verify a bucket and save it as a named destination (the secret is encrypted with the master key)',
      )
      .argument('<name>', 'destination name (letters, digits, . _ -)')
      .requiredOption('--to <s3url>', 's3://bucket/prefix (the prefix is the default folder)')
      .option('--user <name>', 'owner (default: the first admin)')
      .option('--default', "make it the user's default destination", false)
      .option('--public-endpoint <url>', 'host to put in presigned URLs instead of the endpoint'),
  )
    .option('--json', 'print the saved destination as JSON', false)
    .action(async (name: string, opts: AddOptions) => {
      await runCommand(opts.json, () => addCommand(name, opts));
    });

  destinations
    .command('list')
    .description('list saved destinations (secrets are never shown)')
    .option('--user <name>', "only this user's destinations")
    .option('--json', 'print JSON', false)
    .action(async (opts: { user?: string; json: boolean }) => {
      await runCommand(opts.json, () =>
        withRuntime(async ({ services }) => {
          const users =
            opts.user === undefined
              ? await services.users.list()
              : [await resolveCliUser(services, opts.user)];
          const rows = [];
          for (const user of users)
            for (const d of await services.destinations.list(user.id)) rows.push({ user: user.name, ...d });
          if (opts.json) printJson(rows);
          else {
            printTable(
              rows.map((d) => ({
                user: d.user,
                name: d.name,
                bucket: d.bucket,
                prefix: d.pathPrefix ?? '',
                endpoint: d.endpoint ?? '',
                default: d.default ? 'yes' : '',
              })),
              ['user', 'name', 'bucket', 'prefix', 'endpoint', 'default'],
            );
          }
        }),
      );
    });

  destinations
    .command('remove')
    .description('delete a saved destination (files already delivered stay in the bucket)')
    .argument('<name>', 'destination name')
    .option('--user <name>', 'owner (default: the only user with that name)')
    .action(async (name: string, opts: { user?: string }) => {
      await runCommand(false, () =>
        withRuntime(async ({ services }) => {
          const user = await destinationOwner(services, name, opts.user);
          await services.destinations.delete(user.id, name);
          info(`removed ${name}`);
        }),
      );
    });
}

async function testCommand(s3url: string | undefined, opts: TestOptions): Promise<ExitCode> {
  if (s3url !== undefined && opts.to !== undefined)
    throw usageError('give the bucket once: as the argument or as --to');
  const to = s3url ?? opts.to;
  if (to !== undefined && opts.name !== undefined) throw usageError('give a bucket or --name, not both');
  if (to === undefined && opts.name === undefined)
    throw usageError('say what to test: s3://bucket/prefix or --name NAME');
  const stray = bucketFlagsGiven(opts);
  if (
    opts.name !== undefined &&
    (stray !== undefined || opts.storageClass !== undefined || opts.acl !== undefined)
  ) {
    throw usageError(`${stray ?? '--storage-class/--acl'} does not apply to a saved destination`);
  }
  const config = configOrExit();
  const input = to === undefined ? undefined : testInput(to, opts, config);
  return withRuntime(async ({ services }) => {
    let report: VerificationView;
    try {
      if (input !== undefined) report = await services.destinations.test(input);
      else {
        const user = await destinationOwner(services, opts.name!, opts.user);
        report = await services.destinations.retest(user.id, opts.name!);
      }
    } catch (error) {
      if (!(error instanceof AppError) || !isVerificationFailure(error)) throw error;
      printFailure(error, opts.json);
      return EXIT.failure;
    }
    if (opts.json) printJson(report);
    else printReport(report);
    return EXIT.ok;
  });
}

function testInput(to: string, opts: TestOptions, config: Config) {
  const warning = sessionTokenWarning(opts, config.aws);
  if (warning !== undefined) info(`warning: ${warning}`);
  const target = parseS3Target(to, 's3url');
  if (target.fileStem !== undefined)
    throw usageError('give a bucket and folder (s3://bucket/prefix/), not a file');
  return bucketConfig(target, opts, config.aws, target.path);
}

async function addCommand(name: string, opts: AddOptions): Promise<ExitCode> {
  const config = configOrExit();
  const target = parseS3Target(opts.to);
  if (target.fileStem !== undefined)
    throw usageError('give a bucket and folder (s3://bucket/prefix/), not a file');
  const warning = sessionTokenWarning(opts, config.aws);
  if (warning !== undefined) info(`warning: ${warning}`);
  const input = {
    ...bucketConfig(target, opts, config.aws, target.path),
    name,
    ...(opts.default ? { default: true } : {}),
    ...(opts.publicEndpoint === undefined ? {} : { publicEndpoint: opts.publicEndpoint }),
  };
  return withRuntime(async ({ services }) => {
    const user = await resolveCliUser(services, opts.user);
    let saved;
    try {
      saved = await services.destinations.create(user.id, input);
    } catch (error) {
      if (!(error instanceof AppError) || !isVerificationFailure(error)) throw error;
      printFailure(error, opts.json);
      return EXIT.failure;
    }
    if (opts.json) printJson(saved);
    else {
      info(`saved destination ${saved.name} for ${user.name}${saved.default ? ' (default)' : ''}`);
      if (saved.capabilities !== null) printReport(saved.capabilities);
    }
    return EXIT.ok;
  });
}

function isVerificationFailure(error: AppError): boolean {
  return error.details !== undefined && 'capabilities' in error.details;
}

/** The classified failure: code, message, hint, and what the probes found before it failed. */
function printFailure(error: AppError, json: boolean): void {
  const body = {
    ok: false,
    error: {
      code: error.code,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.field === undefined ? {} : { field: error.field }),
    },
    ...(error.details?.['capabilities'] === undefined ? {} : { capabilities: error.details['capabilities'] }),
  };
  if (json) printJson(body);
  else {
    process.stderr.write(`verification failed: ${error.code}: ${error.message}\n`);
    if (error.hint !== undefined) process.stderr.write(`hint: ${error.hint}\n`);
  }
}

function printReport(report: VerificationView): void {
  process.stdout.write(`ok: the bucket can receive files (checked in ${report.durationMs} ms)\n`);
  for (const [capability, ok] of Object.entries(report.capabilities)) {
    const why = report.probeErrors[capability];
    process.stdout.write(
      `  ${capability.padEnd(8)} ${ok ? 'yes' : 'no'}${why === undefined ? '' : ` (${why})`}\n`,
    );
  }
  if (!report.markerRemoved)
    process.stdout.write(
      '  note: the marker object .bucketload-check-… could not be deleted (no delete permission)\n',
    );
}
