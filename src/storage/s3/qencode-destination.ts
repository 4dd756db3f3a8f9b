/**
 * Qencode-style destination objects (seed 002), accepted wherever a destination is:
 * `{ url: "s3://endpoint[:port]/bucket/path", key, secret, permissions?, storage_class?, use_tls? }`.
 * The path after the bucket names a file (`folder/output.mp4`) or, for HLS/DASH outputs, a folder.
 */
import { AppError } from '../../core/errors.js';
import { splitKey, validateUserPath } from '../object-key.js';
import type { S3DestinationConfig } from './s3-destination.js';

export interface QencodeDestinationInput {
  readonly url: string;
  readonly key: string;
  readonly secret: string;
  readonly permissions?: string;
  readonly storage_class?: string;
  readonly use_tls?: 0 | 1 | '0' | '1' | boolean;
  /** Not in Qencode's format; accepted for endpoints whose region cannot be read from the host. */
  readonly region?: string;
}

export interface QencodeDestination {
  /** The destination (provider detected from the host; resolve it with `resolveS3Destination`). */
  readonly config: S3DestinationConfig;
  /** The path after the bucket ('' for the bucket root), validated. */
  readonly path: string;
  /** The folder the outputs go to: the path itself, or its parent when the path names a file. */
  readonly folder: string;
  /** When the path ends in a file name with an extension (`output.mp4`): its stem and extension. */
  readonly file?: { readonly stem: string; readonly ext: string };
}

const S3_URL = /^s3:\/\/([^/?#\s]+)\/([^/?#\s]+)(?:\/([^?#]*))?$/iu;

export function isQencodeDestination(value: unknown): value is QencodeDestinationInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { url?: unknown }).url === 'string' &&
    (value as { url: string }).url.startsWith('s3://')
  );
}

function parseUseTls(value: QencodeDestinationInput['use_tls']): boolean {
  if (value === undefined) return true;
  if (value === 0 || value === '0' || value === false) return false;
  if (value === 1 || value === '1' || value === true) return true;
  throw new AppError('VALIDATION_FAILED', {
    field: 'destination.use_tls',
    message: 'use_tls must be 0 or 1.',
  });
}

/** Parses a Qencode destination. Throws INVALID_ENDPOINT, INVALID_ACL, INVALID_KEY or VALIDATION_FAILED. */
export function parseQencodeDestination(input: QencodeDestinationInput): QencodeDestination {
  const match = S3_URL.exec(input.url.trim());
  if (match === null) {
    throw new AppError('INVALID_ENDPOINT', {
      field: 'destination.url',
      message: 'destination.url must look like s3://endpoint[:port]/bucket/path.',
    });
  }
  const [, host = '', bucket = '', rawPath = ''] = match;
  if (
    typeof input.key !== 'string' ||
    input.key === '' ||
    typeof input.secret !== 'string' ||
    input.secret === ''
  ) {
    throw new AppError('VALIDATION_FAILED', {
      field: input.key ? 'destination.secret' : 'destination.key',
      message: 'destination.key and destination.secret are required.',
    });
  }

  let acl: 'private' | 'public-read' | undefined;
  if (input.permissions !== undefined) {
    if (input.permissions !== 'private' && input.permissions !== 'public-read') {
      throw new AppError('INVALID_ACL', {
        field: 'destination.permissions',
        message: 'permissions must be private or public-read.',
      });
    }
    acl = input.permissions;
  }

  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch (error) {
    throw new AppError('INVALID_KEY', {
      field: 'destination.url',
      cause: error,
      message: 'The path in destination.url is not valid percent-encoding.',
    });
  }
  const trailingSlash = decoded.endsWith('/');
  const path = validateUserPath(decoded, 'destination.url');
  const { dir, stem, ext } = splitKey(path);
  const namesFile = path !== '' && !trailingSlash && ext !== '';

  const config: S3DestinationConfig = {
    endpoint: host,
    useTls: parseUseTls(input.use_tls),
    bucket,
    accessKeyId: input.key,
    secretAccessKey: input.secret,
    pathPrefix: namesFile ? dir : path,
    ...(input.region === undefined ? {} : { region: input.region }),
    ...(acl === undefined ? {} : { acl }),
    ...(input.storage_class === undefined || input.storage_class === ''
      ? {}
      : { storageClass: input.storage_class }),
  };
  return {
    config,
    path,
    folder: namesFile ? dir : path,
    ...(namesFile ? { file: { stem, ext } } : {}),
  };
}
