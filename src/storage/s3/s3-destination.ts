/**
 * A destination as the user describes it (`S3DestinationConfig`, the fields of POST /v1/destinations)
 * and as the S3 code uses it (`ResolvedS3Destination`): endpoint URL built or normalised, region,
 * addressing style and checksum mode filled in from the provider preset, storage class and ACL
 * checked against what the provider accepts. Resolution is pure and throws AppErrors with `field`.
 */
import { AppError } from '../../core/errors.js';
import { assertPresignExpiry } from '../object-store.js';
import { validateUserPath } from '../object-key.js';
import {
  ACL_NAMES,
  type AclName,
  type ChecksumMode,
  detectProvider,
  getProviderPreset,
  isProviderName,
  type PresetOverrides,
  type ProviderName,
} from './provider-presets.js';

export const DEFAULT_PRESIGN_EXPIRES_SECONDS = 86_400;

export interface S3DestinationConfig {
  readonly provider?: ProviderName | undefined;
  /** `https://host[:port]`, `http://…`, or a bare `host[:port]` (scheme from `useTls`). */
  readonly endpoint?: string | undefined;
  readonly region?: string | undefined;
  /** Cloudflare account id, to build the R2 endpoint when none is given. */
  readonly accountId?: string | undefined;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle?: boolean | undefined;
  /** Only for endpoints given without a scheme; default true (Qencode's `use_tls: 0` → false). */
  readonly useTls?: boolean | undefined;
  readonly pathPrefix?: string | undefined;
  readonly storageClass?: string | undefined;
  readonly acl?: AclName | undefined;
  /** `AES256` or `aws:kms` (then `sseKmsKeyId` may name the key). */
  readonly serverSideEncryption?: string | undefined;
  readonly sseKmsKeyId?: string | undefined;
  /** A host (or URL) to put in presigned URLs instead of the endpoint, e.g. a CDN or public hostname. */
  readonly publicEndpoint?: string | undefined;
  readonly presignExpiresIn?: number | undefined;
  /** Per-destination changes to the provider preset (e.g. a MinIO that takes checksums). */
  readonly presetOverrides?: PresetOverrides | undefined;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface ResolvedS3Destination {
  readonly provider: ProviderName;
  /** Normalised URL, no trailing slash. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly credentials: S3Credentials;
  readonly forcePathStyle: boolean;
  readonly checksumMode: ChecksumMode;
  /** '' or `a/b` (no leading or trailing slash). */
  readonly pathPrefix: string;
  /** Sent only when set. */
  readonly storageClass?: string;
  /** Sent only when set; `bucket-default` resolves to undefined. */
  readonly acl?: 'private' | 'public-read';
  readonly serverSideEncryption?: string;
  readonly sseKmsKeyId?: string;
  readonly publicEndpoint?: string;
  readonly presignExpiresIn: number;
}

// S3 bucket naming rules (3–63, lowercase, digits, dots, hyphens). Some providers allow more
// (underscores on legacy buckets), so only the shape that cannot work anywhere is refused.
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/u;
const REGION = /^[a-z0-9-]{2,32}$/u;

/** Parses an endpoint into a URL: http(s) only, a host, no credentials, query or fragment. */
export function normaliseEndpoint(value: string, useTls = true, field = 'endpoint'): string {
  const raw = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//iu.test(raw) ? raw : `${useTls ? 'https' : 'http'}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new AppError('INVALID_ENDPOINT', {
      field,
      cause: error,
      message: `${field} is not a valid URL or host.`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('INVALID_ENDPOINT', {
      field,
      message: `${field} must be an http:// or https:// URL.`,
    });
  }
  if (url.hostname === '')
    throw new AppError('INVALID_ENDPOINT', { field, message: `${field} has no host.` });
  if (url.username !== '' || url.password !== '') {
    throw new AppError('INVALID_ENDPOINT', {
      field,
      message: `${field} must not contain credentials; use the key fields.`,
    });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new AppError('INVALID_ENDPOINT', {
      field,
      message: `${field} must not contain a query or fragment.`,
    });
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/u, '')}`;
}

/** Fills in and checks a destination. Throws AppError (INVALID_ENDPOINT, INVALID_STORAGE_CLASS, …). */
export function resolveS3Destination(config: S3DestinationConfig): ResolvedS3Destination {
  if (config.provider !== undefined && !isProviderName(config.provider)) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'provider',
      message: `Unknown provider "${String(config.provider)}".`,
    });
  }
  const bucket = config.bucket.trim();
  // Adjacent dots are refused by every provider (they make an invalid virtual-hosted host name).
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new AppError('VALIDATION_FAILED', {
      field: 'bucket',
      message: 'bucket must be 3–63 lowercase letters, digits, dots or hyphens.',
    });
  }
  if (config.accessKeyId.trim() === '' || config.secretAccessKey === '') {
    throw new AppError('VALIDATION_FAILED', {
      field: config.accessKeyId.trim() === '' ? 'accessKeyId' : 'secretAccessKey',
      message: 'Both accessKeyId and secretAccessKey are required.',
    });
  }

  const givenEndpoint =
    config.endpoint === undefined || config.endpoint.trim() === ''
      ? undefined
      : normaliseEndpoint(config.endpoint, config.useTls ?? true);
  const provider =
    config.provider ??
    (givenEndpoint === undefined ? 'aws' : detectProvider(new URL(givenEndpoint).hostname));
  const preset = getProviderPreset(provider, config.presetOverrides);

  const hostRegion =
    givenEndpoint === undefined ? undefined : preset.regionFromHost(new URL(givenEndpoint).hostname);
  const region = (config.region?.trim() || hostRegion || preset.defaultRegion).toLowerCase();
  if (!REGION.test(region))
    throw new AppError('VALIDATION_FAILED', {
      field: 'region',
      message: `"${region}" is not a region name.`,
    });

  let endpoint = givenEndpoint;
  if (endpoint === undefined) {
    const built = preset.endpointFor({ region, accountId: config.accountId });
    if (built === undefined) {
      throw new AppError('INVALID_ENDPOINT', {
        field: provider === 'r2' ? 'accountId' : 'endpoint',
        message:
          provider === 'r2'
            ? 'An R2 destination needs its endpoint or the Cloudflare account id.'
            : `A ${preset.label} destination needs an endpoint.`,
      });
    }
    endpoint = normaliseEndpoint(built);
  }

  let storageClass: string | undefined;
  if (config.storageClass !== undefined && config.storageClass.trim() !== '') {
    storageClass = config.storageClass.trim().toUpperCase();
    const accepted = preset.storageClasses;
    const ok =
      accepted === 'any' ? /^[A-Z][A-Z0-9_]{0,63}$/u.test(storageClass) : accepted.includes(storageClass);
    if (!ok) {
      throw new AppError('INVALID_STORAGE_CLASS', {
        field: 'storageClass',
        message: `${preset.label} does not accept the storage class "${storageClass}".`,
        ...(accepted === 'any' ? {} : { hint: `Use one of: ${accepted.join(', ')}.` }),
      });
    }
  }

  let acl: 'private' | 'public-read' | undefined;
  if (config.acl !== undefined) {
    if (!(ACL_NAMES as readonly string[]).includes(config.acl) || !preset.acls.includes(config.acl)) {
      throw new AppError('INVALID_ACL', {
        field: 'acl',
        message: `${preset.label} does not accept the ACL "${String(config.acl)}".`,
        hint: `Use one of: ${preset.acls.join(', ')}. Public access is usually configured on the bucket instead.`,
      });
    }
    acl = config.acl === 'bucket-default' ? undefined : config.acl;
  }

  const presignExpiresIn = config.presignExpiresIn ?? DEFAULT_PRESIGN_EXPIRES_SECONDS;
  assertPresignExpiry(presignExpiresIn);

  const sse = config.serverSideEncryption?.trim();
  const publicEndpoint =
    config.publicEndpoint === undefined || config.publicEndpoint.trim() === ''
      ? undefined
      : normaliseEndpoint(config.publicEndpoint, true, 'publicEndpoint');

  return {
    provider,
    endpoint,
    region,
    bucket,
    credentials: { accessKeyId: config.accessKeyId.trim(), secretAccessKey: config.secretAccessKey },
    forcePathStyle: config.forcePathStyle ?? preset.forcePathStyle,
    checksumMode: preset.checksumMode,
    pathPrefix: validateUserPath(config.pathPrefix ?? '', 'pathPrefix'),
    presignExpiresIn,
    ...(storageClass === undefined ? {} : { storageClass }),
    ...(acl === undefined ? {} : { acl }),
    ...(sse === undefined || sse === '' ? {} : { serverSideEncryption: sse }),
    ...(config.sseKmsKeyId === undefined || config.sseKmsKeyId === ''
      ? {}
      : { sseKmsKeyId: config.sseKmsKeyId }),
    ...(publicEndpoint === undefined ? {} : { publicEndpoint }),
  };
}
