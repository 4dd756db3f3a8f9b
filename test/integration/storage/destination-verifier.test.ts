import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_VERIFY_TIMEOUT_MS,
  verifyDestination,
} from '../../../src/storage/s3/destination-verifier.js';
import type { S3DestinationConfig } from '../../../src/storage/s3/s3-destination.js';
import {
  freePort,
  startMoto,
  startS3rver,
  type MotoServer,
  type S3TestServer,
} from '../../support/s3-servers.js';
import { s3ErrorXml, startScriptedEndpoint, startSilentEndpoint } from './fake-endpoints.js';

// Real parts: the verifier and the AWS SDK against real moto (one plain, one enforcing IAM) and
// s3rver processes; loopback stubs for silence, a closed port, TLS and wrong-region answers.

// The seeds' policies, as customers paste them.
const importlyPolicy = (bucket: string) => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: `arn:aws:s3:::${bucket}/*` },
  ],
});
const tornadoPolicy = (bucket: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    },
  ],
});

let moto: MotoServer;
let s3rver: S3TestServer;
let iamMoto: MotoServer;

beforeAll(async () => {
  [moto, s3rver, iamMoto] = await Promise.all([startMoto(), startS3rver(), startMoto({ enforceAuth: true })]);
});
afterAll(async () => {
  await Promise.all([moto?.stop(), s3rver?.stop(), iamMoto?.stop()]);
});

function configFor(
  server: S3TestServer,
  bucket: string,
  extra: Partial<S3DestinationConfig> = {},
): S3DestinationConfig {
  return {
    provider: 'other',
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    ...extra,
  };
}

describe.each([
  { name: 'moto', server: () => moto },
  { name: 's3rver', server: () => s3rver },
])('verifyDestination with full credentials on $name', ({ server }) => {
  it('reports every capability and removes its marker', async () => {
    const s = server();
    const bucket = await s.createBucket();
    const report = await verifyDestination(configFor(s, bucket, { pathPrefix: 'imports/2024' }));
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({
      ok: true,
      capabilities: { put: true, read: true, list: true, delete: true, presign: true },
      markerRemoved: true,
      probeErrors: {},
    });
    expect(report.markerKey).toMatch(/^imports\/2024\/\.bucketload-check-[0-9a-f-]+\.txt$/u);
    expect(Number.isNaN(Date.parse(report.checkedAt))).toBe(false);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(await s.listObjects(bucket)).toEqual([]);
  });

  it('reports a missing bucket as NO_SUCH_BUCKET', async () => {
    const report = await verifyDestination(configFor(server(), 'no-such-bucket-here'));
    expect(report.ok).toBe(false);
    expect(report.capabilities.put).toBe(false);
    expect(report.error?.code).toBe('NO_SUCH_BUCKET');
    // Tornado's documented text, byte for byte.
    expect(report.error?.message).toBe('Verification failed: NoSuchBucket');
  });

  it('reports an unknown access key as INVALID_ACCESS_KEY_ID', async () => {
    const s = server();
    const bucket = await s.createBucket();
    // Plain moto accepts any key; s3rver only knows S3RVER; enforcing moto knows only its IAM keys.
    const target = s.name === 'moto' ? iamMoto : s;
    const targetBucket = s.name === 'moto' ? await iamMoto.createBucket() : bucket;
    const report = await verifyDestination(
      configFor(target, targetBucket, { accessKeyId: 'AKIANOSUCHKEY0000000' }),
    );
    expect(report.error?.code).toBe('INVALID_ACCESS_KEY_ID');
  });
});

describe('verifyDestination against moto enforcing IAM', () => {
  it("accepts the Importly seed's PutObject-only policy: put true, read/list/delete false", async () => {
    const bucket = await iamMoto.createBucket();
    const keys = await iamMoto.createRestrictedUser(importlyPolicy(bucket));
    const report = await verifyDestination(configFor(iamMoto, bucket, keys));
    expect(report.ok).toBe(true);
    expect(report.capabilities).toEqual({
      put: true,
      read: false,
      list: false,
      delete: false,
      presign: false,
    });
    expect(report.probeErrors).toMatchObject({
      read: 'ACCESS_DENIED',
      list: 'ACCESS_DENIED',
      delete: 'ACCESS_DENIED',
    });
    // The marker stays: the key may not delete it.
    expect(report.markerRemoved).toBe(false);
    expect((await iamMoto.listObjects(bucket)).map((o) => o.key)).toEqual([report.markerKey]);
  });

  it("accepts the Tornado seed's policy: put, read and list true, delete false", async () => {
    const bucket = await iamMoto.createBucket();
    const keys = await iamMoto.createRestrictedUser(tornadoPolicy(bucket));
    const report = await verifyDestination(configFor(iamMoto, bucket, keys));
    expect(report.ok).toBe(true);
    // presign is false here only because enforcing moto answers 500 to every presigned URL.
    expect(report.capabilities).toMatchObject({ put: true, read: true, list: true, delete: false });
  });

  it('fails a key that may not write with ACCESS_DENIED', async () => {
    const bucket = await iamMoto.createBucket();
    const other = await iamMoto.createBucket();
    const keys = await iamMoto.createRestrictedUser(importlyPolicy(other));
    const report = await verifyDestination(configFor(iamMoto, bucket, keys));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('ACCESS_DENIED');
    expect(report.error?.message).toBe('Verification failed: Access Denied');
  });

  it('reports a wrong secret as SIGNATURE_DOES_NOT_MATCH', async () => {
    const bucket = await iamMoto.createBucket();
    const keys = await iamMoto.createRestrictedUser(importlyPolicy(bucket));
    const report = await verifyDestination(
      configFor(iamMoto, bucket, { accessKeyId: keys.accessKeyId, secretAccessKey: 'wrong-secret' }),
    );
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('SIGNATURE_DOES_NOT_MATCH');
    expect(JSON.stringify(report)).not.toContain('wrong-secret');
  });
});

describe('verifyDestination against endpoints that fail', () => {
  it('reports an endpoint that accepts TCP and never answers as STORAGE_TIMEOUT within the limit', async () => {
    const silent = await startSilentEndpoint();
    try {
      const started = Date.now();
      const report = await verifyDestination(
        {
          provider: 'other',
          endpoint: silent.endpoint,
          bucket: 'silent-bucket',
          accessKeyId: 'a',
          secretAccessKey: 'b',
        },
        { timeoutMs: 1_500 },
      );
      const elapsed = Date.now() - started;
      expect(report.ok).toBe(false);
      expect(report.error?.code).toBe('STORAGE_TIMEOUT');
      expect(report.error?.message).toBe('Verification failed: timeout');
      expect(report.error?.details).toEqual({
        reason: 'the endpoint did not answer within 1.5 s',
        timeoutMs: 1_500,
      });
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(4_000);
    } finally {
      await silent.close();
    }
  });

  it('uses a 15 s limit by default', () => {
    expect(DEFAULT_VERIFY_TIMEOUT_MS).toBe(15_000);
  });

  it('reports a closed port as STORAGE_UNREACHABLE', async () => {
    const port = await freePort();
    const report = await verifyDestination({
      provider: 'other',
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'closed-port',
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    expect(report.error?.code).toBe('STORAGE_UNREACHABLE');
    expect(report.error?.details).toEqual({ reason: 'connection refused' });
    expect(report.durationMs).toBeLessThan(5_000);
  });

  it('reports TLS spoken to a plain-HTTP port as STORAGE_TLS', async () => {
    const bucket = await moto.createBucket();
    const report = await verifyDestination(
      configFor(moto, bucket, { endpoint: moto.endpoint.replace('http://', 'https://') }),
      { timeoutMs: 5_000 },
    );
    expect(report.error?.code).toBe('STORAGE_TLS');
  });

  it('reports a bad endpoint as INVALID_ENDPOINT without connecting', async () => {
    const report = await verifyDestination({
      provider: 'other',
      endpoint: 'ftp://example.test/x',
      bucket: 'some-bucket',
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('INVALID_ENDPOINT');
    expect(report.error?.field).toBe('endpoint');
  });

  it("reports AWS's wrong-region answer as WRONG_REGION naming the bucket's region", async () => {
    const aws = await startScriptedEndpoint(() => ({
      status: 400,
      headers: { 'x-amz-bucket-region': 'eu-west-1' },
      body: s3ErrorXml(
        'AuthorizationHeaderMalformed',
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        { Region: 'eu-west-1' },
      ),
    }));
    try {
      const report = await verifyDestination({
        provider: 'other',
        endpoint: aws.endpoint,
        region: 'us-east-1',
        bucket: 'eu-bucket',
        accessKeyId: 'a',
        secretAccessKey: 'b',
      });
      expect(report.error?.code).toBe('WRONG_REGION');
      expect(report.error?.message).toBe('Verification failed: WrongRegion (the bucket is in eu-west-1)');
      expect(report.error?.details).toEqual({ region: 'eu-west-1' });
    } finally {
      await aws.close();
    }
  });

  it('reports a 301 PermanentRedirect with x-amz-bucket-region as WRONG_REGION', async () => {
    const aws = await startScriptedEndpoint(() => ({
      status: 301,
      headers: { 'x-amz-bucket-region': 'ap-southeast-2' },
      body: s3ErrorXml(
        'PermanentRedirect',
        'The bucket you are attempting to access must be addressed using the specified endpoint.',
        { Endpoint: 's3.ap-southeast-2.amazonaws.com' },
      ),
    }));
    try {
      const report = await verifyDestination({
        provider: 'other',
        endpoint: aws.endpoint,
        bucket: 'syd-bucket',
        accessKeyId: 'a',
        secretAccessKey: 'b',
      });
      expect(report.error?.code).toBe('WRONG_REGION');
      expect(report.error?.details).toEqual({ region: 'ap-southeast-2' });
    } finally {
      await aws.close();
    }
  });

  it('reports a bucket with ACLs disabled as INVALID_ACL when an ACL is configured', async () => {
    const aws = await startScriptedEndpoint(() => ({
      status: 400,
      body: s3ErrorXml('AccessControlListNotSupported', 'The bucket does not allow ACLs'),
    }));
    try {
      const report = await verifyDestination({
        provider: 'other',
        endpoint: aws.endpoint,
        bucket: 'no-acls',
        accessKeyId: 'a',
        secretAccessKey: 'b',
        acl: 'public-read',
      });
      expect(report.error?.code).toBe('INVALID_ACL');
      expect(aws.requests[0]?.headers['x-amz-acl']).toBe('public-read');
    } finally {
      await aws.close();
    }
  });

  it('sends no ACL, storage class or SSE header unless configured', async () => {
    const aws = await startScriptedEndpoint(() => ({
      status: 403,
      body: s3ErrorXml('AccessDenied', 'Access Denied'),
    }));
    try {
      await verifyDestination({
        provider: 'other',
        endpoint: aws.endpoint,
        bucket: 'plain',
        accessKeyId: 'a',
        secretAccessKey: 'b',
      });
      const headers = aws.requests[0]?.headers ?? {};
      expect(headers['x-amz-acl']).toBeUndefined();
      expect(headers['x-amz-storage-class']).toBeUndefined();
      expect(headers['x-amz-server-side-encryption']).toBeUndefined();
      // Non-AWS endpoints get no default CRC32 checksum (it breaks R2, B2, GCS, Wasabi).
      expect(
        Object.keys(headers).filter(
          (h) => h.startsWith('x-amz-checksum') || h === 'x-amz-sdk-checksum-algorithm',
        ),
      ).toEqual([]);
    } finally {
      await aws.close();
    }
  });

  it('rejects with an AbortError when the caller cancels', async () => {
    const silent = await startSilentEndpoint();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      await expect(
        verifyDestination(
          {
            provider: 'other',
            endpoint: silent.endpoint,
            bucket: 'silent-bucket',
            accessKeyId: 'a',
            secretAccessKey: 'b',
          },
          { signal: controller.signal },
        ),
      ).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await silent.close();
    }
  });
});
