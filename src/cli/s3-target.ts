import type { Command } from 'commander';
import { Option } from 'commander';
import type { AwsEnvironment } from '../config/config.js';
import { AppError } from '../core/errors.js';
import { splitKey, validateUserPath } from '../storage/object-key.js';
import {
  ACL_NAMES,
  PROVIDER_NAMES,
  type AclName,
  type ProviderName,
} from '../storage/s3/provider-presets.js';
import type { S3DestinationConfig } from '../storage/s3/s3-destination.js';
import { usageError } from './context.js';

/**
 * The bucket flags shared by `import`, `destinations test` and `destinations add`: an
 * `s3://bucket/path` target plus endpoint, region, keys and addressing, each falling back to the
 * standard AWS variables (read by config.ts) when the flag is absent.
 */
export interface BucketFlags {
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly pathStyle?: boolean;
  readonly provider?: ProviderName;
  readonly storageClass?: string;
  readonly acl?: AclName;
}

export function addBucketOptions(command: Command): Command {
  return command
    .option(
      '--endpoint <url>',
      'S3 endpoint URL (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS for the region)',
    )
    .option(
      '--region <region>',
      'bucket region (default: AWS_REGION, AWS_DEFAULT_REGION, else the provider default)',
    )
    .option('--access-key-id <id>', 'access key id (default: AWS_ACCESS_KEY_ID)')
    .option(
      '--secret-access-key <secret>',
      'secret access key (default: AWS_SECRET_ACCESS_KEY; prefer the variable, flags show in ps)',
    )
    .option('--path-style', 'path-style addressing (http://endpoint/bucket/key); default from the provider')
    .option('--no-path-style', 'virtual-host addressing (http://bucket.endpoint/key)')
    .addOption(
      new Option('--provider <name>', 'provider preset (default: detected from the endpoint host)').choices(
        PROVIDER_NAMES,
      ),
    )
    .option('--storage-class <class>', 'storage class for the objects (checked against the provider)')
    .addOption(new Option('--acl <acl>', 'object ACL (sent only when given)').choices(ACL_NAMES));
}

/** A destination's fields as the CLI gives them: fits both an inline destination and a saved one. */
export interface BucketInput extends Pick<S3DestinationConfig, 'bucket' | 'accessKeyId' | 'secretAccessKey'> {
  readonly endpoint?: string;
  readonly region?: string;
  readonly provider?: ProviderName;
  readonly forcePathStyle?: boolean;
  readonly storageClass?: string;
  readonly acl?: AclName;
  readonly pathPrefix?: string;
}

export interface S3Target {
  readonly bucket: string;
  /** The folder after the bucket ('' for the root), validated. */
  readonly path: string;
  /** When the URL ends in a file name with an extension (`…/clip.mp4`): its stem. */
  readonly fileStem?: string;
}

/** Parses `s3://bucket[/folder/][name.ext]`. A trailing `/` always means a folder. */
export function parseS3Target(raw: string, option = '--to'): S3Target {
  const match = /^s3:\/\/([^/?#\s]+)(?:\/([^?#]*))?$/iu.exec(raw.trim());
  if (match === null) throw usageError(`${option} must look like s3://bucket/path (got "${raw}")`);
  const [, bucket = '', rawPath = ''] = match;
  let path: string;
  try {
    path = validateUserPath(rawPath, option);
  } catch (error) {
    if (error instanceof AppError) throw usageError(error.message);
    throw error;
  }
  const { dir, stem, ext } = splitKey(path);
  if (path !== '' && !rawPath.endsWith('/') && ext !== '') return { bucket, path: dir, fileStem: stem };
  return { bucket, path };
}

/**
 * The destination described by the target and the flags, with the AWS variables as defaults.
 * Missing keys are a usage error naming both ways to give them.
 */
export function bucketConfig(
  target: S3Target,
  flags: BucketFlags,
  aws: AwsEnvironment,
  pathPrefix?: string,
): BucketInput {
  const accessKeyId = flags.accessKeyId ?? aws.accessKeyId;
  const secretAccessKey = flags.secretAccessKey ?? aws.secretAccessKey;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw usageError(
      'no credentials for the bucket',
      'Give --access-key-id and --secret-access-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
    );
  }
  const endpoint = flags.endpoint ?? aws.endpointUrl;
  const region = flags.region ?? aws.region;
  return {
    bucket: target.bucket,
    accessKeyId,
    secretAccessKey,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(flags.provider === undefined ? {} : { provider: flags.provider }),
    ...(flags.pathStyle === undefined ? {} : { forcePathStyle: flags.pathStyle }),
    ...(flags.storageClass === undefined ? {} : { storageClass: flags.storageClass }),
    ...(flags.acl === undefined ? {} : { acl: flags.acl }),
    ...(pathPrefix === undefined || pathPrefix === '' ? {} : { pathPrefix }),
  };
}

/** True when any flag that only makes sense with a bucket target was given. */
export function bucketFlagsGiven(flags: BucketFlags): string | undefined {
  const names: Array<[keyof BucketFlags, string]> = [
    ['endpoint', '--endpoint'],
    ['region', '--region'],
    ['accessKeyId', '--access-key-id'],
    ['secretAccessKey', '--secret-access-key'],
    ['pathStyle', '--path-style'],
    ['provider', '--provider'],
  ];
  return names.find(([key]) => flags[key] !== undefined)?.[1];
}

/** A warning for credentials the bucket code cannot use (temporary STS keys need the session token). */
export function sessionTokenWarning(flags: BucketFlags, aws: AwsEnvironment): string | undefined {
  if (aws.sessionToken === undefined || flags.accessKeyId !== undefined) return undefined;
  return 'AWS_SESSION_TOKEN is set, but temporary credentials are not supported: use a long-lived access key.';
}
