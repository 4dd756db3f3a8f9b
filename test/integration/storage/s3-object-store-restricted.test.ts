import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAbortError } from '../../../src/core/errors.js';
import type { IncompleteUpload } from '../../../src/storage/object-store.js';
import { S3ObjectStore } from '../../../src/storage/s3/s3-object-store.js';
import { resolveS3Destination } from '../../../src/storage/s3/s3-destination.js';
import { startMoto, startS3rver, type MotoServer, type S3TestServer } from '../../support/s3-servers.js';
import { startDenyingProxy, type TestEndpoint } from './fake-endpoints.js';
import { randomBody, sha256Hex } from './stream-helpers.js';

// Real parts: S3ObjectStore and the AWS SDK against moto enforcing IAM (a key with the Importly
// seed's PutObject-only policy) and against s3rver behind a proxy that denies what such a key may
// not do on AWS (HEAD, CopyObject), since moto lets a PutObject-only key copy.

const MiB = 1024 * 1024;
const putOnly = (bucket: string) => ({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectAcl'], Resource: `arn:aws:s3:::${bucket}/*` },
  ],
});

function details(error: unknown): { incompleteUpload?: IncompleteUpload } {
  return (error as { details?: { incompleteUpload?: IncompleteUpload } }).details ?? {};
}

describe('S3ObjectStore with a PutObject-only key (moto enforcing IAM)', () => {
  let moto: MotoServer;
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    moto = await startMoto({ enforceAuth: true });
    bucket = await moto.createBucket();
    const keys = await moto.createRestrictedUser(putOnly(bucket));
    store = new S3ObjectStore({
      destination: resolveS3Destination({
        provider: 'other',
        endpoint: moto.endpoint,
        region: moto.region,
        bucket,
        ...keys,
      }),
    });
  });
  afterAll(async () => {
    store?.destroy();
    await moto?.stop();
  });

  it('uploads 20 MiB in parts; the result says whether the checksum metadata got on', async () => {
    const body = randomBody(20 * MiB);
    const stored = await store.put({
      key: 'r/big.bin',
      body: body.stream,
      contentType: 'video/mp4',
      signal: new AbortController().signal,
    });
    expect(stored.sizeBytes).toBe(20 * MiB);
    expect(stored.sha256).toBe(body.sha256());
    const object = await moto.getObject(bucket, 'r/big.bin');
    expect(sha256Hex(object.body)).toBe(body.sha256());
    // moto lets a PutObject-only key copy (AWS would not): whatever happened, the flag tells the truth.
    expect(stored.sha256Stored).toBe(object.metadata['sha256'] === body.sha256());
  });

  it('conditional create relies on If-None-Match when the key may not HEAD (single part)', async () => {
    await store.put({
      key: 'r/exists.txt',
      body: Readable.from([Buffer.from('one')]),
      contentType: 'text/plain',
      signal: new AbortController().signal,
    });
    const failure = await store
      .put({
        key: 'r/exists.txt',
        body: Readable.from([Buffer.from('two')]),
        contentType: 'text/plain',
        ifNoneMatch: true,
        signal: new AbortController().signal,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((failure as AppError).code).toBe('OBJECT_EXISTS');
    expect((await moto.getObject(bucket, 'r/exists.txt')).body.toString()).toBe('one');
  });

  it('multipart conditional create is refused at CompleteMultipartUpload; the unabortable parts are reported', async () => {
    await store.put({
      key: 'r/exists-big.bin',
      body: Readable.from([Buffer.from('one')]),
      contentType: 'video/mp4',
      signal: new AbortController().signal,
    });
    const body = randomBody(20 * MiB);
    const failure = await store
      .put({
        key: 'r/exists-big.bin',
        body: body.stream,
        contentType: 'video/mp4',
        ifNoneMatch: true,
        signal: new AbortController().signal,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((failure as AppError).code).toBe('OBJECT_EXISTS');
    expect(details(failure).incompleteUpload).toMatchObject({
      key: 'r/exists-big.bin',
      reason: 'ACCESS_DENIED',
    });
    expect((await moto.getObject(bucket, 'r/exists-big.bin')).body.toString()).toBe('one');
  });

  it('reports the multipart upload it could not abort when the key may not abort', async () => {
    const body = randomBody(40 * MiB);
    const controller = new AbortController();
    const stream = body.stream;
    stream.on('data', () => {
      if (body.sent() >= 20 * MiB) controller.abort();
    });
    const failure = await store
      .put({ key: 'r/canceled.bin', body: stream, contentType: 'video/mp4', signal: controller.signal })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isAbortError(failure)).toBe(true);
    const incomplete = details(failure).incompleteUpload;
    expect(incomplete).toMatchObject({ key: 'r/canceled.bin', reason: 'ACCESS_DENIED' });
    const left = await moto.listMultipartUploads(bucket);
    expect(left).toContainEqual({ key: 'r/canceled.bin', uploadId: incomplete?.uploadId });
  });
});

describe('S3ObjectStore when HEAD and CopyObject are denied (s3rver behind a denying proxy)', () => {
  let s3rver: S3TestServer;
  let proxy: TestEndpoint;
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3rver = await startS3rver();
    bucket = await s3rver.createBucket();
    proxy = await startDenyingProxy(
      s3rver.endpoint,
      (req) => req.method === 'HEAD' || req.headers['x-amz-copy-source'] !== undefined,
    );
    store = new S3ObjectStore({
      destination: resolveS3Destination({
        provider: 'other',
        endpoint: proxy.endpoint,
        bucket,
        accessKeyId: s3rver.accessKeyId,
        secretAccessKey: s3rver.secretAccessKey,
      }),
    });
  });
  afterAll(async () => {
    store?.destroy();
    await proxy?.close();
    await s3rver?.stop();
  });

  it('stores a multipart object intact and reports sha256Stored: false', async () => {
    const body = randomBody(20 * MiB);
    const stored = await store.put({
      key: 'p/big.bin',
      body: body.stream,
      contentType: 'video/mp4',
      signal: new AbortController().signal,
    });
    expect(stored).toMatchObject({ sizeBytes: 20 * MiB, sha256: body.sha256(), sha256Stored: false });
    const object = await s3rver.getObject(bucket, 'p/big.bin');
    expect(sha256Hex(object.body)).toBe(body.sha256());
    expect(object.metadata['sha256']).toBeUndefined();
    expect(proxy.requests.some((r) => r.headers['x-amz-copy-source'] !== undefined)).toBe(true);
  });

  it('still stores the checksum on a single-part object (it goes up with the PutObject)', async () => {
    const data = Buffer.from('small file');
    const stored = await store.put({
      key: 'p/small.txt',
      body: Readable.from([data]),
      contentType: 'text/plain',
      signal: new AbortController().signal,
    });
    expect(stored.sha256Stored).toBe(true);
    expect((await s3rver.getObject(bucket, 'p/small.txt')).metadata['sha256']).toBe(sha256Hex(data));
  });

  it('conditional create goes ahead when HEAD is denied and the server ignores If-None-Match', async () => {
    // s3rver ignores If-None-Match: with HEAD denied nothing can tell; the header was still sent.
    await store.put({
      key: 'p/cond.txt',
      body: Readable.from([Buffer.from('a')]),
      contentType: 'text/plain',
      ifNoneMatch: true,
      signal: new AbortController().signal,
    });
    const put = proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('p/cond.txt'));
    expect(put.at(-1)?.headers['if-none-match']).toBe('*');
  });
});

describe('S3ObjectStore multipart self-copy above the CopyObject limit (moto)', () => {
  let moto: MotoServer;
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    moto = await startMoto();
    bucket = await moto.createBucket();
    store = new S3ObjectStore({
      destination: resolveS3Destination({
        provider: 'other',
        endpoint: moto.endpoint,
        bucket,
        accessKeyId: moto.accessKeyId,
        secretAccessKey: moto.secretAccessKey,
      }),
      // Lowered limits so a 20 MiB object takes the >5 GiB path: UploadPartCopy in 8 MiB ranges.
      copyObjectMaxBytes: 10 * MiB,
      copyPartBytes: 8 * MiB,
    });
  });
  afterAll(async () => {
    store?.destroy();
    await moto?.stop();
  });

  it('persists x-amz-meta-sha256 by copying the object onto itself range by range', async () => {
    const body = randomBody(20 * MiB);
    const stored = await store.put({
      key: 'mp/copy.bin',
      body: body.stream,
      contentType: 'video/mp4',
      contentDisposition: 'attachment; filename="copy.bin"',
      metadata: { origin: 'test' },
      signal: new AbortController().signal,
    });
    expect(stored.sha256Stored).toBe(true);
    const object = await moto.getObject(bucket, 'mp/copy.bin');
    expect(sha256Hex(object.body)).toBe(body.sha256());
    expect(object.metadata).toMatchObject({ sha256: body.sha256(), origin: 'test' });
    expect(object.contentType).toBe('video/mp4');
    expect(object.contentDisposition).toBe('attachment; filename="copy.bin"');
    expect(await moto.listMultipartUploads(bucket)).toEqual([]);
  });
});
