/**
 * What differs between S3-compatible providers, as data. Each preset says how to build the endpoint
 * from a region (or an account id), which addressing style works, which region to sign with, which
 * storage classes and canned ACLs the provider accepts, and whether the SDK's default request and
 * response checksums are safe. Every value can be overridden per destination (`PresetOverrides`).
 */

export const PROVIDER_NAMES = ['aws', 'r2', 'minio', 'spaces', 'b2', 'wasabi', 'gcs', 'other'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Canned ACLs a destination may ask for; `bucket-default` sends no ACL header at all. */
export const ACL_NAMES = ['private', 'public-read', 'bucket-default'] as const;
export type AclName = (typeof ACL_NAMES)[number];

/**
 * `WHEN_SUPPORTED` is the SDK's default since 2025 (CRC32 on every upload, checksum validation on
 * downloads); it breaks R2, B2, GCS, Wasabi and some MinIO versions, so non-AWS presets use
 * `WHEN_REQUIRED`, which sends checksums only where the S3 API demands them.
 */
export type ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';

export interface EndpointParams {
  readonly region: string;
  readonly accountId?: string | undefined;
}

export interface ProviderPreset {
  readonly name: ProviderName;
  readonly label: string;
  /** The endpoint for a region/account, or undefined when the user must give one (MinIO, other). */
  readonly endpointFor: (params: EndpointParams) => string | undefined;
  /** Reads the region back from a provider endpoint host, when the host names it. */
  readonly regionFromHost: (host: string) => string | undefined;
  readonly defaultRegion: string;
  readonly forcePathStyle: boolean;
  /** Upper-case storage class names the provider accepts, or 'any' to pass any name through. */
  readonly storageClasses: readonly string[] | 'any';
  readonly acls: readonly AclName[];
  readonly checksumMode: ChecksumMode;
  /** Hosts (suffixes) that identify this provider when no provider is named. */
  readonly hostSuffixes: readonly string[];
}

export type PresetOverrides = Partial<
  Pick<ProviderPreset, 'defaultRegion' | 'forcePathStyle' | 'storageClasses' | 'acls' | 'checksumMode'>
>;

const AWS_STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'GLACIER_IR',
  'DEEP_ARCHIVE',
] as const;

const match = (pattern: RegExp) => (host: string) => pattern.exec(host)?.[1];

export const PROVIDER_PRESETS: Readonly<Record<ProviderName, ProviderPreset>> = {
  aws: {
    name: 'aws',
    label: 'Amazon S3',
    endpointFor: ({ region }) => `https://s3.${region}.amazonaws.com`,
    regionFromHost: match(/(?:^|\.)s3[.-](?:dualstack\.)?([a-z0-9-]+)\.amazonaws\.com$/u),
    defaultRegion: 'us-east-1',
    forcePathStyle: false,
    storageClasses: AWS_STORAGE_CLASSES,
    acls: ['private', 'public-read', 'bucket-default'],
    checksumMode: 'WHEN_SUPPORTED',
    hostSuffixes: ['amazonaws.com'],
  },
  r2: {
    name: 'r2',
    label: 'Cloudflare R2',
    endpointFor: ({ accountId }) =>
      accountId === undefined ? undefined : `https://${accountId}.r2.cloudflarestorage.com`,
    regionFromHost: () => undefined,
    // R2 signs with region `auto` (it also accepts `us-east-1` as an alias).
    defaultRegion: 'auto',
    forcePathStyle: true,
    storageClasses: ['STANDARD', 'STANDARD_IA'],
    // R2 has no object ACLs; public access is configured on the bucket.
    acls: ['private', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: ['r2.cloudflarestorage.com'],
  },
  minio: {
    name: 'minio',
    label: 'MinIO',
    endpointFor: () => undefined,
    regionFromHost: () => undefined,
    defaultRegion: 'us-east-1',
    // MinIO serves buckets on the path unless its domain is configured.
    forcePathStyle: true,
    storageClasses: ['STANDARD', 'REDUCED_REDUNDANCY'],
    acls: ['private', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: [],
  },
  spaces: {
    name: 'spaces',
    label: 'DigitalOcean Spaces',
    endpointFor: ({ region }) => `https://${region}.digitaloceanspaces.com`,
    regionFromHost: match(/(?:^|\.)([a-z]{3}\d)\.(?:cdn\.)?digitaloceanspaces\.com$/u),
    defaultRegion: 'nyc3',
    forcePathStyle: false,
    storageClasses: ['STANDARD'],
    acls: ['private', 'public-read', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: ['digitaloceanspaces.com'],
  },
  b2: {
    name: 'b2',
    label: 'Backblaze B2',
    endpointFor: ({ region }) => `https://s3.${region}.backblazeb2.com`,
    regionFromHost: match(/(?:^|\.)s3\.([a-z0-9-]+)\.backblazeb2\.com$/u),
    defaultRegion: 'us-west-004',
    forcePathStyle: false,
    storageClasses: ['STANDARD'],
    // B2 has bucket-level visibility only; object ACL headers other than private are refused.
    acls: ['private', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: ['backblazeb2.com'],
  },
  wasabi: {
    name: 'wasabi',
    label: 'Wasabi',
    endpointFor: ({ region }) => `https://s3.${region}.wasabisys.com`,
    regionFromHost: match(/(?:^|\.)s3\.([a-z0-9-]+)\.wasabisys\.com$/u),
    defaultRegion: 'us-east-1',
    forcePathStyle: false,
    storageClasses: ['STANDARD'],
    acls: ['private', 'public-read', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: ['wasabisys.com'],
  },
  gcs: {
    name: 'gcs',
    label: 'Google Cloud Storage (XML API, HMAC keys)',
    endpointFor: () => 'https://storage.googleapis.com',
    regionFromHost: () => undefined,
    defaultRegion: 'auto',
    forcePathStyle: true,
    storageClasses: ['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE'],
    // Buckets with uniform bucket-level access refuse every ACL header: use bucket-default there.
    acls: ['private', 'public-read', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: ['storage.googleapis.com'],
  },
  other: {
    name: 'other',
    label: 'Other S3-compatible service',
    endpointFor: () => undefined,
    regionFromHost: () => undefined,
    defaultRegion: 'us-east-1',
    forcePathStyle: true,
    storageClasses: 'any',
    acls: ['private', 'public-read', 'bucket-default'],
    checksumMode: 'WHEN_REQUIRED',
    hostSuffixes: [],
  },
};

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** The preset for `name` with any overrides applied. */
export function getProviderPreset(name: ProviderName, overrides: PresetOverrides = {}): ProviderPreset {
  return { ...PROVIDER_PRESETS[name], ...overrides };
}

/** Guesses the provider from an endpoint host (`other` when no preset claims it). */
export function detectProvider(host: string): ProviderName {
  const h = host.toLowerCase();
  for (const preset of Object.values(PROVIDER_PRESETS)) {
    if (preset.hostSuffixes.some((suffix) => h === suffix || h.endsWith(`.${suffix}`))) return preset.name;
  }
  return 'other';
}
