import { Option, type Command } from 'commander';
import type { CreateImportBody } from '../http/routes/imports/import.schema.js';
import {
  DEFAULT_PRESIGN_SECONDS,
  MAX_PRESIGN_SECONDS,
  type FormatRequest,
  type IfExists,
  type Quality,
} from '../jobs/import-request.js';
import { FILE_ROLES, type FileRole } from '../jobs/job-types.js';
import { EXIT, runCommand, usageError } from './context.js';
import {
  addBucketOptions,
  bucketFlagsGiven,
  parseS3Target,
  type BucketFlags,
  type S3Target,
} from './s3-target.js';

export interface ImportOptions extends BucketFlags {
  readonly to?: string;
  readonly destination?: string;
  readonly user?: string;
  readonly path?: string;
  readonly filename?: string;
  readonly format?: FormatRequest['kind'];
  readonly quality?: Quality;
  readonly container?: string;
  readonly outputs: string;
  readonly ifExists: IfExists;
  readonly presignExpiresIn: string;
  readonly json: boolean;
  readonly progress: boolean;
}

// The API's choices (checked against its types); listed here so `--help` does not load the HTTP layer.
const QUALITIES = [
  'best',
  '2160p',
  '1440p',
  '1080p',
  '720p',
  '480p',
  '360p',
  '240p',
] as const satisfies readonly Quality[];
const CONTAINERS = ['mp4', 'webm', 'mkv', 'm4a', 'mp3', 'opus'] as const satisfies ReadonlyArray<
  NonNullable<NonNullable<CreateImportBody['format']>['container']>
>;
const AUDIO_CONTAINERS = new Set(['m4a', 'mp3', 'opus']);

export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description(
      'import one URL now, in this process (no server needed): into s3://bucket/path, a saved destination, or managed storage',
    )
    .argument('<url>', 'a direct file, a page with a video, or an HLS/DASH manifest (http or https)')
    .option(
      '--to <s3url>',
      'deliver into s3://bucket/folder/ (or s3://bucket/folder/name.ext to name the file)',
    )
    .option('--destination <name>', 'deliver into a saved destination (see `bucketload destinations list`)')
    .option('--user <name>', 'run as this user (default: the first admin)')
    .option('--path <folder>', 'folder for the files, with --destination or managed storage');
  addBucketOptions(command)
    .option('--filename <name>', 'file name without folders (the real extension is appended)')
    .addOption(new Option('--format <kind>', 'what to keep').choices(['video', 'audio', 'original']))
    .addOption(new Option('--quality <height>', 'cap on the video height').choices(QUALITIES))
    .addOption(new Option('--container <ext>', 'output container').choices(CONTAINERS))
    .option('--outputs <list>', `comma-separated outputs: ${FILE_ROLES.join(', ')}`, 'file')
    .addOption(
      new Option('--if-exists <mode>', 'when an object already exists at the key')
        .choices(['overwrite', 'skip', 'rename', 'fail'])
        .default('overwrite'),
    )
    .option(
      '--presign-expires-in <seconds>',
      'lifetime of the presigned URLs in the result (at most 604800)',
      String(DEFAULT_PRESIGN_SECONDS),
    )
    .option('--json', 'JSON lines on stdout: progress events, then one result object', false)
    .option('--no-progress', 'no progress bar (errors and the result are still printed)')
    .addHelpText(
      'after',
      `
Exit codes: 0 completed, 1 the import failed, 2 usage, 3 configuration, 4 not found, 130 interrupted.
Ctrl-C cancels: child processes are stopped, the upload is aborted, partial output is removed.

Examples:
  bucketload import https://example.com/clip.mp4 --to s3://my-bucket/videos/
  AWS_ENDPOINT_URL_S3=https://s3.example.com bucketload import URL --to s3://b/x/ --format audio --json
  bucketload import URL --destination media --path 2024/ --outputs file,thumbnail
  bucketload import URL                      # into managed storage in the data dir`,
    )
    .action(async (url: string, opts: ImportOptions) => {
      await runCommand(opts.json, async () => {
        const plan = planImport(url, opts);
        // The pipeline (database, AWS SDK, media tools) loads only when there is work to do.
        const { runImport } = await import('./import.action.js');
        return runImport(url, opts, plan);
      });
      // A one-shot command ends here even if a socket or timer somewhere would keep Node alive.
      process.exit(process.exitCode ?? EXIT.ok);
    });
}

export interface ImportPlan {
  readonly target?: S3Target;
  readonly outputs: FileRole[];
  readonly presignExpiresIn: number;
  readonly format?: FormatRequest;
}

/** Every check that needs no database: usage errors come before anything is opened. */
export function planImport(url: string, opts: ImportOptions): ImportPlan {
  // The service checks the URL again (and the egress policy at connect time); this answers at once.
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
    throw usageError(`not an http(s) URL: "${url}"`);
  }
  if (opts.to !== undefined && opts.destination !== undefined)
    throw usageError('give --to or --destination, not both');
  const stray = bucketFlagsGiven(opts);
  if (opts.to === undefined && stray !== undefined) throw usageError(`${stray} needs --to s3://bucket/path`);
  if (
    opts.to === undefined &&
    opts.destination === undefined &&
    (opts.storageClass !== undefined || opts.acl !== undefined)
  ) {
    throw usageError('--storage-class and --acl need --to or --destination (managed storage has neither)');
  }
  if (opts.to !== undefined && opts.path !== undefined)
    throw usageError('with --to, put the folder in the URL: --to s3://bucket/folder/');
  const outputs = opts.outputs
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = outputs.find((o) => !(FILE_ROLES as readonly string[]).includes(o));
  if (unknown !== undefined)
    throw usageError(`--outputs: unknown output "${unknown}" (use ${FILE_ROLES.join(', ')})`);
  if (outputs.length === 0 || new Set(outputs).size !== outputs.length)
    throw usageError('--outputs needs one or more different outputs');
  const seconds = Number(opts.presignExpiresIn);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw usageError(
      `--presign-expires-in must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS}`,
    );
  }
  let format: FormatRequest | undefined;
  if (opts.format !== undefined || opts.quality !== undefined || opts.container !== undefined) {
    const kind =
      opts.format ??
      (opts.container !== undefined && AUDIO_CONTAINERS.has(opts.container) ? 'audio' : 'video');
    if (kind === 'audio' && opts.quality !== undefined)
      throw usageError('--quality is a video height; it does not apply to --format audio');
    format = {
      kind,
      ...(opts.quality === undefined ? {} : { quality: opts.quality }),
      ...(opts.container === undefined ? {} : { container: opts.container }),
    };
  }
  return {
    ...(opts.to === undefined ? {} : { target: parseS3Target(opts.to) }),
    outputs: outputs as FileRole[],
    presignExpiresIn: seconds,
    ...(format === undefined ? {} : { format }),
  };
}
