import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  detectProvider,
  getProviderPreset,
  PROVIDER_NAMES,
  PROVIDER_PRESETS,
} from '../../../src/storage/s3/provider-presets.js';
import {
  normaliseEndpoint,
  resolveS3Destination,
  type S3DestinationConfig,
} from '../../../src/storage/s3/s3-destination.js';

// Pure logic: presets and destination resolution, no I/O.

const creds = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
const resolve = (config: Partial<S3DestinationConfig>) =>
  resolveS3Destination({ bucket: 'my-bucket', ...creds, ...config });

function codeOf(run: () => unknown): { code: string; field: string | undefined } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return { code: (error as AppError).code, field: (error as AppError).field };
  }
  throw new Error('expected an AppError');
}

describe('provider presets', () => {
  it('has a preset for every provider named in the API', () => {
    expect([...PROVIDER_NAMES].sort()).toEqual([
      'aws',
      'b2',
      'gcs',
      'minio',
      'other',
      'r2',
      'spaces',
      'wasabi',
    ]);
    for (const name of PROVIDER_NAMES) expect(PROVIDER_PRESETS[name].name).toBe(name);
  });

  it.each([
    ['aws', { region: 'us-west-2' }, 'https://s3.us-west-2.amazonaws.com'],
    ['r2', { accountId: 'abc123' }, 'https://abc123.r2.cloudflarestorage.com'],
    ['spaces', { region: 'fra1' }, 'https://fra1.digitaloceanspaces.com'],
    ['b2', { region: 'us-west-004' }, 'https://s3.us-west-004.backblazeb2.com'],
    ['wasabi', { region: 'eu-central-1' }, 'https://s3.eu-central-1.wasabisys.com'],
    ['gcs', {}, 'https://storage.googleapis.com'],
  ] as const)('builds the %s endpoint from region/account', (provider, extra, endpoint) => {
    expect(resolve({ provider, ...extra }).endpoint).toBe(endpoint);
  });

  it('uses region auto for R2, path-style for MinIO, virtual-hosted for AWS', () => {
    expect(resolve({ provider: 'r2', accountId: 'abc' }).region).toBe('auto');
    expect(resolve({ provider: 'r2', accountId: 'abc', region: 'us-east-1' }).region).toBe('us-east-1');
    expect(resolve({ provider: 'minio', endpoint: 'https://minio.example.com' }).forcePathStyle).toBe(true);
    expect(resolve({ provider: 'aws', region: 'eu-west-1' }).forcePathStyle).toBe(false);
  });

  it('sends only required checksums to non-AWS providers', () => {
    expect(resolve({ provider: 'aws' }).checksumMode).toBe('WHEN_SUPPORTED');
    for (const provider of ['r2', 'minio', 'spaces', 'b2', 'wasabi', 'gcs', 'other'] as const) {
      expect(PROVIDER_PRESETS[provider].checksumMode).toBe('WHEN_REQUIRED');
    }
  });

  it('lets every preset value be overridden per destination', () => {
    const preset = getProviderPreset('minio', {
      checksumMode: 'WHEN_SUPPORTED',
      storageClasses: ['STANDARD', 'COLD'],
      forcePathStyle: false,
    });
    expect(preset).toMatchObject({ checksumMode: 'WHEN_SUPPORTED', forcePathStyle: false });
    const dest = resolve({
      provider: 'minio',
      endpoint: 'minio.local:9000',
      storageClass: 'cold',
      presetOverrides: { storageClasses: ['COLD'], checksumMode: 'WHEN_SUPPORTED' },
    });
    expect(dest).toMatchObject({ storageClass: 'COLD', checksumMode: 'WHEN_SUPPORTED' });
    expect(resolve({ provider: 'aws', forcePathStyle: true }).forcePathStyle).toBe(true);
    expect(resolve({ provider: 'aws', endpoint: 'https://s3-proxy.internal' }).endpoint).toBe(
      'https://s3-proxy.internal',
    );
  });

  it('detects the provider from the endpoint host when none is named', () => {
    expect(detectProvider('s3.us-east-1.amazonaws.com')).toBe('aws');
    expect(detectProvider('ABC.r2.cloudflarestorage.com')).toBe('r2');
    expect(detectProvider('nyc3.digitaloceanspaces.com')).toBe('spaces');
    expect(detectProvider('s3.us-west-004.backblazeb2.com')).toBe('b2');
    expect(detectProvider('s3.wasabisys.com')).toBe('wasabi');
    expect(detectProvider('storage.googleapis.com')).toBe('gcs');
    expect(detectProvider('minio.example.com')).toBe('other');
    expect(detectProvider('evil-amazonaws.com')).toBe('other');
  });
});

describe('resolveS3Destination', () => {
  it("resolves the Tornado seed's AWS body (region read from the endpoint when absent)", () => {
    const dest = resolveS3Destination({
      endpoint: 'https://s3.us-west-2.amazonaws.com',
      bucket: 'my-tornado-bucket',
      ...creds,
    });
    expect(dest).toMatchObject({
      provider: 'aws',
      region: 'us-west-2',
      endpoint: 'https://s3.us-west-2.amazonaws.com',
      checksumMode: 'WHEN_SUPPORTED',
    });
  });

  it("resolves the seeds' R2, Spaces and B2 bodies", () => {
    expect(
      resolveS3Destination({
        endpoint: 'https://acc.r2.cloudflarestorage.com',
        region: 'auto',
        bucket: 'my-downloads',
        ...creds,
      }),
    ).toMatchObject({
      provider: 'r2',
      region: 'auto',
      forcePathStyle: true,
      checksumMode: 'WHEN_REQUIRED',
    });
    expect(
      resolveS3Destination({ endpoint: 'https://sgp1.digitaloceanspaces.com', bucket: 'space-one', ...creds })
        .region,
    ).toBe('sgp1');
    expect(
      resolveS3Destination({
        endpoint: 'https://s3.eu-central-003.backblazeb2.com',
        bucket: 'b2-bucket',
        ...creds,
      }).region,
    ).toBe('eu-central-003');
  });

  it('defaults to AWS us-east-1 with no endpoint and no region', () => {
    expect(resolve({})).toMatchObject({
      provider: 'aws',
      region: 'us-east-1',
      endpoint: 'https://s3.us-east-1.amazonaws.com',
    });
  });

  it('turns a bare host into https, or http with useTls false (Qencode use_tls: 0)', () => {
    expect(resolve({ endpoint: 'minio.example.com:9000' }).endpoint).toBe('https://minio.example.com:9000');
    expect(resolve({ endpoint: 'minio.example.com:9000', useTls: false }).endpoint).toBe(
      'http://minio.example.com:9000',
    );
    expect(resolve({ endpoint: 'http://127.0.0.1:9000/' }).endpoint).toBe('http://127.0.0.1:9000');
  });

  it('refuses bad endpoints with INVALID_ENDPOINT', () => {
    for (const endpoint of [
      'ftp://host',
      'http://',
      'https://user:pass@host',
      'https://host/?x=1',
      'https://exa mple.com',
    ]) {
      expect(codeOf(() => resolve({ endpoint }))).toEqual({ code: 'INVALID_ENDPOINT', field: 'endpoint' });
    }
    expect(codeOf(() => resolve({ provider: 'minio' }))).toEqual({
      code: 'INVALID_ENDPOINT',
      field: 'endpoint',
    });
    expect(codeOf(() => resolve({ provider: 'r2' }))).toEqual({
      code: 'INVALID_ENDPOINT',
      field: 'accountId',
    });
    expect(normaliseEndpoint('HTTPS://Host.Example.com:443/')).toBe('https://host.example.com');
  });

  it('checks storage classes against the provider', () => {
    expect(resolve({ provider: 'aws', storageClass: 'intelligent_tiering' }).storageClass).toBe(
      'INTELLIGENT_TIERING',
    );
    expect(codeOf(() => resolve({ provider: 'b2', region: 'us-west-004', storageClass: 'GLACIER' }))).toEqual(
      { code: 'INVALID_STORAGE_CLASS', field: 'storageClass' },
    );
    expect(codeOf(() => resolve({ provider: 'aws', storageClass: 'NEARLINE' })).code).toBe(
      'INVALID_STORAGE_CLASS',
    );
    expect(resolve({ provider: 'gcs', storageClass: 'NEARLINE' }).storageClass).toBe('NEARLINE');
    // `other` passes any well-formed name through (Qencode's REDUCED_REDUNDANCY on its own S3).
    expect(
      resolve({ provider: 'other', endpoint: 'https://s3.example', storageClass: 'REDUCED_REDUNDANCY' })
        .storageClass,
    ).toBe('REDUCED_REDUNDANCY');
    expect(
      codeOf(() => resolve({ provider: 'other', endpoint: 'https://s3.example', storageClass: 'bad class!' }))
        .code,
    ).toBe('INVALID_STORAGE_CLASS');
  });

  it('the hint lists the accepted classes', () => {
    try {
      resolve({ provider: 'r2', accountId: 'a', storageClass: 'GLACIER' });
    } catch (error) {
      expect((error as AppError).hint).toBe('Use one of: STANDARD, STANDARD_IA.');
    }
  });

  it('checks ACLs against the provider; bucket-default sends none', () => {
    expect(resolve({ provider: 'aws', acl: 'public-read' }).acl).toBe('public-read');
    expect(resolve({ provider: 'aws', acl: 'bucket-default' }).acl).toBeUndefined();
    expect(codeOf(() => resolve({ provider: 'r2', accountId: 'a', acl: 'public-read' }))).toEqual({
      code: 'INVALID_ACL',
      field: 'acl',
    });
  });

  it('sends nothing optional unless asked', () => {
    const dest = resolve({ provider: 'aws' });
    expect(dest.acl).toBeUndefined();
    expect(dest.storageClass).toBeUndefined();
    expect(dest.serverSideEncryption).toBeUndefined();
    expect(Object.keys(dest).sort()).toEqual([
      'bucket',
      'checksumMode',
      'credentials',
      'endpoint',
      'forcePathStyle',
      'pathPrefix',
      'presignExpiresIn',
      'provider',
      'region',
    ]);
  });

  it('validates the path prefix, presign expiry, bucket and keys', () => {
    expect(resolve({ pathPrefix: '/imports/2024/' }).pathPrefix).toBe('imports/2024');
    expect(codeOf(() => resolve({ pathPrefix: 'a/../b' }))).toEqual({
      code: 'INVALID_KEY',
      field: 'pathPrefix',
    });
    expect(resolve({}).presignExpiresIn).toBe(86_400);
    expect(codeOf(() => resolve({ presignExpiresIn: 604_801 }))).toEqual({
      code: 'VALIDATION_FAILED',
      field: 'presignExpiresIn',
    });
    expect(codeOf(() => resolve({ bucket: 'x' })).field).toBe('bucket');
    expect(codeOf(() => resolve({ accessKeyId: ' ' })).field).toBe('accessKeyId');
  });

  it('normalises the public endpoint', () => {
    expect(resolve({ publicEndpoint: 'files.example.com' }).publicEndpoint).toBe('https://files.example.com');
    expect(codeOf(() => resolve({ publicEndpoint: 'ftp://x' })).field).toBe('publicEndpoint');
  });
});
