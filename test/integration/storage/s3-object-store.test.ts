import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, isAbortError } from '../../../src/core/errors.js';
import { S3ObjectStore } from '../../../src/storage/s3/s3-object-store.js';
import { resolveS3Destination, type S3DestinationConfig } from '../../../src/storage/s3/s3-destination.js';
import { startMoto, startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { randomBody, sha256Hex } from './stream-helpers.js';

// Real parts: the S3ObjectStore, the AWS SDK, and a real moto / s3rver process on 127.0.0.1.

const MiB = 1024 * 1024;

const servers: Array<{ name: 'moto' | 's3rver'; start: () => Promise<S3TestServer> }> = [
  { name: 'moto', start: () => startMoto() },
  { name: 's3rver', start: () => startS3rver() },
];

describe.each(servers)('S3ObjectStore on $name (real server)', ({ name, start }) => {
  let server: S3TestServer;
  let bucket: string;
  let store: S3ObjectStore;
  const config = (extra: Partial<S3DestinationConfig> = {}): S3DestinationConfig => ({
    provider: 'other',
    endpoint: server.endpoint,
    region: server.region,
    bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    ...extra,
  });

  beforeAll(async () => {
    server = await start();
    bucket = await server.createBucket();
    store = new S3ObjectStore({ destination: resolveS3Destination(config()) });
  });
  afterAll(async () => {
    store?.destroy();
    await server?.stop();
  });

  it('streams a 20 MiB generated body as a multipart upload with the right size and sha256', async () => {
    const body = randomBody(20 * MiB);
    const progress: number[] = [];
    const started = performance.now();
    const stored = await store.put({
      key: 'big/twenty.bin',
      body: body.stream,
      contentType: 'application/octet-stream',
      contentLength: 20 * MiB,
      signal: new AbortController().signal,
      onProgress: (bytes) => progress.push(bytes),
    });
    const ms = performance.now() - started;
    console.info(`[figures] 20 MiB multipart upload to ${name}: ${Math.round(ms)} ms`);

    expect(stored.sizeBytes).toBe(20 * MiB);
    expect(stored.sha256).toBe(body.sha256());
    expect(stored.sha256Stored).toBe(true);
    // Three 8 MiB parts: progress is reported per part, increasing, ending at the size.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(progress.at(-1)).toBe(20 * MiB);

    const object = await server.getObject(bucket, 'big/twenty.bin');
    expect(object.body.length).toBe(20 * MiB);
    expect(sha256Hex(object.body)).toBe(body.sha256());
    expect(object.metadata['sha256']).toBe(body.sha256());
    expect(object.contentType).toBe('application/octet-stream');
    if (name === 'moto') expect(await server.listMultipartUploads(bucket)).toEqual([]);
  });

  it('sends a small body in one PutObject that already carries x-amz-meta-sha256', async () => {
    const data = Buffer.from('hello, bucket\n');
    const progress: number[] = [];
    const stored = await store.put({
      key: 'small/hello.txt',
      body: Readable.from([data]),
      contentType: 'text/plain',
      contentDisposition: 'attachment; filename="hello.txt"',
      metadata: { source: 'test' },
      signal: new AbortController().signal,
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(stored).toMatchObject({
      key: 'small/hello.txt',
      sizeBytes: data.length,
      sha256: sha256Hex(data),
      sha256Stored: true,
    });
    expect(progress.at(-1)).toBe(data.length);
    const object = await server.getObject(bucket, 'small/hello.txt');
    expect(object.body.equals(data)).toBe(true);
    expect(object.metadata).toMatchObject({ sha256: sha256Hex(data), source: 'test' });
    expect(object.contentDisposition).toBe('attachment; filename="hello.txt"');
    const head = await store.head('small/hello.txt');
    expect(head).toMatchObject({
      sizeBytes: data.length,
      contentType: 'text/plain',
      metadata: { sha256: sha256Hex(data) },
    });
  });

  it('stores an empty body', async () => {
    const stored = await store.put({
      key: 'small/empty',
      body: Readable.from([]),
      contentType: 'application/octet-stream',
      signal: new AbortController().signal,
    });
    expect(stored).toMatchObject({ sizeBytes: 0, sha256: sha256Hex(new Uint8Array()), sha256Stored: true });
  });

  it('cancel mid-stream stops the upload and leaves no object (and on moto no multipart upload)', async () => {
    const controller = new AbortController();
    const body = randomBody(40 * MiB, {
      onChunk: async (sent) => {
        if (sent >= 18 * MiB && !controller.signal.aborted) controller.abort();
        if (sent % (4 * MiB) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    const started = performance.now();
    const failure = await store
      .put({
        key: 'cancel/big.bin',
        body: body.stream,
        contentType: 'application/octet-stream',
        signal: controller.signal,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    console.info(
      `[figures] cancel at 18 MiB on ${name}: settled after ${Math.round(performance.now() - started)} ms`,
    );
    expect(isAbortError(failure)).toBe(true);
    expect(body.sent()).toBeLessThan(40 * MiB);
    expect(body.stream.destroyed).toBe(true);
    expect(await server.listObjects(bucket, 'cancel/')).toEqual([]);
    if (name === 'moto') expect(await server.listMultipartUploads(bucket)).toEqual([]);
  });

  it('a source shorter than its Content-Length fails with SOURCE_TRUNCATED and stores nothing', async () => {
    const body = randomBody(9 * MiB);
    const failure = await store
      .put({
        key: 'short/file.bin',
        body: body.stream,
        contentType: 'application/octet-stream',
        contentLength: 10 * MiB,
        signal: new AbortController().signal,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('SOURCE_TRUNCATED');
    expect(await server.listObjects(bucket, 'short/')).toEqual([]);
    if (name === 'moto') expect(await server.listMultipartUploads(bucket)).toEqual([]);
  });

  it('a source error fails the upload with that error, not a storage error', async () => {
    const boom = new AppError('SOURCE_UNREACHABLE', { message: 'source went away' });
    const stream = new Readable({ read() {} });
    stream.push(Buffer.alloc(1024));
    setTimeout(() => stream.destroy(boom), 20);
    await expect(
      store.put({
        key: 'broken/source.bin',
        body: stream,
        contentType: 'application/octet-stream',
        signal: new AbortController().signal,
      }),
    ).rejects.toBe(boom);
    expect(await server.listObjects(bucket, 'broken/')).toEqual([]);
  });

  it('conditional create refuses an existing key and keeps the first object', async () => {
    const first = Buffer.from('first');
    await store.put({
      key: 'cond/one.txt',
      body: Readable.from([first]),
      contentType: 'text/plain',
      ifNoneMatch: true,
      signal: new AbortController().signal,
    });
    const failure = await store
      .put({
        key: 'cond/one.txt',
        body: Readable.from([Buffer.from('second')]),
        contentType: 'text/plain',
        ifNoneMatch: true,
        signal: new AbortController().signal,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect((failure as AppError).code).toBe('OBJECT_EXISTS');
    expect((await server.getObject(bucket, 'cond/one.txt')).body.toString()).toBe('first');
  });

  it('presigned GET downloads identical bytes with an RFC 5987 Content-Disposition', async () => {
    const data = Buffer.from('presigned bytes ✓\n');
    await store.put({
      key: 'presign/clip.txt',
      body: Readable.from([data]),
      contentType: 'text/plain',
      signal: new AbortController().signal,
    });
    const url = await store.presignGet('presign/clip.txt', {
      expiresInSeconds: 600,
      fileName: 'Vidéo – été 🎬.txt',
      contentType: 'text/plain',
    });
    expect(new URL(url).host).toBe(new URL(server.endpoint).host);
    expect(url).toContain('X-Amz-Expires=600');
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    const expected = `attachment; filename="Vid_o _ _t_ _.txt"; filename*=UTF-8''Vid%C3%A9o%20%E2%80%93%20%C3%A9t%C3%A9%20%F0%9F%8E%AC.txt`;
    // The signed URL asks for the header on every server; moto ignores response-content-* overrides.
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe(expected);
    if (name === 's3rver') expect(response.headers.get('content-disposition')).toBe(expected);
  });

  it('presigns with the public endpoint host when one is set', async () => {
    const publicStore = new S3ObjectStore({
      destination: resolveS3Destination(
        config({ publicEndpoint: server.endpoint.replace('127.0.0.1', 'localhost') }),
      ),
    });
    try {
      const url = await publicStore.presignGet('presign/clip.txt', {
        expiresInSeconds: 60,
        fileName: 'clip.txt',
      });
      expect(new URL(url).hostname).toBe('localhost');
      const response = await fetch(url.replace('//localhost:', '//127.0.0.1:'), {
        headers: { host: new URL(url).host },
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    } finally {
      publicStore.destroy();
    }
  });

  it('refuses a presign longer than 7 days', async () => {
    await expect(
      store.presignGet('presign/clip.txt', { expiresInSeconds: 604_801, fileName: 'x' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('head answers undefined for a missing key; delete removes and tolerates missing keys', async () => {
    expect(await store.head('nope/missing.txt')).toBeUndefined();
    await store.put({
      key: 'del/x.txt',
      body: Readable.from([Buffer.from('x')]),
      contentType: 'text/plain',
      signal: new AbortController().signal,
    });
    await store.delete('del/x.txt');
    expect(await store.head('del/x.txt')).toBeUndefined();
    await store.delete('del/x.txt');
  });

  it('refuses keys that break the key rules before sending anything', async () => {
    await expect(
      store.put({
        key: 'a/../b.txt',
        body: Readable.from([Buffer.from('x')]),
        contentType: 'text/plain',
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });
});
