// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, in-process workers, managed
// storage on the operator's bucket in the shared moto, a loopback media server. Also graceful
// shutdown of a worker pool (release to the queue) on PostgreSQL.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, waitFor, waitForImport, type TestApp } from '../../support/test-app.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

export function managedEnv(moto: S3TestServer, bucket: string, prefix = 'managed'): Record<string, string> {
  return {
    BUCKETLOAD_MANAGED_STORAGE: `s3://${bucket}/${prefix}?endpoint=${moto.endpoint}&region=us-east-1&forcePathStyle=true`,
    AWS_ACCESS_KEY_ID: moto.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
  };
}

describe.each(testDatabases())('managed storage on the operator bucket ($name)', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let moto: S3TestServer;
  let bucket: string;
  let t: TestApp;
  let adminId: string;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    moto = connectShared(inject('s3').moto);
    bucket = await moto.createBucket();
    t = await startTestApp({ databaseUrl: await makeUrl(), env: managedEnv(moto, bucket) });
    adminId = (await t.runtime.services.users.findByName('admin'))!.id;
  });
  afterAll(async () => {
    await t?.close();
    await moto?.stop();
    await media?.close();
  });

  it('stores under <prefix>/<user id>/<key> and answers with a presigned GET of the bucket', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/video.mp4') },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    expect(done.result.storage).toBe('managed');
    const [file] = done.result.files;
    expect(file.key).toBe('video.mp4');
    expect(file.sha256).toBe(fixtures.videoMp4.sha256);
    expect(file.url).toBe(`${t.baseUrl}/v1/imports/${done.id}/files/${file.id}`);
    expect(file.presignedUrl.startsWith(`${moto.endpoint}/${bucket}/managed/${adminId}/video.mp4?`)).toBe(
      true,
    );
    const stored = await moto.getObject(bucket, `managed/${adminId}/video.mp4`);
    expect(stored.metadata['sha256']).toBe(fixtures.videoMp4.sha256);
    const download = await fetch(file.presignedUrl);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('video.mp4');
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(fixtures.videoMp4.sha256);
    // The authenticated redirect goes to the same object.
    const redirect = await fetch(`${t.baseUrl}/v1/imports/${done.id}/files/${file.id}`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toContain(`/${bucket}/managed/${adminId}/video.mp4?`);
  });

  it('uploads a multipart object; a retried write aborts what an interrupted earlier attempt left at the key', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/big.bin'), filename: 'big' },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id, 90_000);
    expect(done.status).toBe('completed');
    expect(done.result.files[0].key).toBe('big.bin');
    expect(done.result.files[0].sha256).toBe(fixtures.bigBin.sha256);
    expect(await moto.listMultipartUploads(bucket)).toEqual([]);

    // An attempt killed mid-upload (SIGKILL) leaves its multipart upload behind; the retried
    // attempt's write of the same key removes it (jobs with attempts > 1 write with the sweep on).
    const client = new S3Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: `managed/${adminId}/restarted.bin` }),
    );
    client.destroy();
    expect(await moto.listMultipartUploads(bucket)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    const store = t.runtime.services.storage.managedStore(adminId, { sweepStaleUploads: true });
    const stored = await store.put({
      key: 'restarted.bin',
      body: fs.createReadStream(fixtures.bigBin.path),
      contentType: 'application/octet-stream',
      contentLength: fixtures.bigBin.size,
      signal: new AbortController().signal,
    });
    expect(stored).toMatchObject({
      key: 'restarted.bin',
      sha256: fixtures.bigBin.sha256,
      sha256Stored: true,
    });
    expect(await moto.listMultipartUploads(bucket)).toEqual([]);
    const objects = await moto.listObjects(bucket, `managed/${adminId}/restarted`);
    expect(objects).toEqual([{ key: `managed/${adminId}/restarted.bin`, size: fixtures.bigBin.size }]);
  });
});

describe('graceful stop of a worker pool (PostgreSQL)', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
  });
  afterAll(async () => {
    await media?.close();
  });

  it('releases a job still running after the grace period: queued at once, attempt given back; another worker finishes it', async () => {
    const databaseUrl = await testDatabases()[1]!.makeUrl();
    // A long lease: only an explicit release (not an expiry) can hand the job on within this test.
    const a = await startTestApp({ databaseUrl, workers: 0, env: { BUCKETLOAD_LEASE_SECONDS: '600' } });
    const b = await startTestApp({ databaseUrl, workers: 0, env: { BUCKETLOAD_LEASE_SECONDS: '600' } });
    try {
      const pool = a.runtime.startWorkers(1);
      const created = await a.request('POST', '/v1/imports', {
        key: a.adminKey,
        body: { url: media.url('/bad/slow.mp4'), filename: 'released' },
      });
      await waitFor(
        () => a.request('GET', `/v1/imports/${created.body.id}`, { key: a.adminKey }),
        (r) => r.body.status === 'running' && r.body.progress.bytes > 0,
      );
      await pool.stop(200);
      const released = await a.request('GET', `/v1/imports/${created.body.id}`, { key: a.adminKey });
      expect(released.body.status).toBe('queued');
      expect(released.body.attempts).toBe(0);

      b.runtime.startWorkers(1);
      const done = await waitForImport(b, a.adminKey, created.body.id, 60_000);
      expect(done.status).toBe('completed');
      expect(done.attempts).toBe(1);
      expect(done.result.files[0].sha256).toBe(fixtures.videoMp4.sha256);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets a job that ends within the grace period complete instead of releasing it', async () => {
    const databaseUrl = await testDatabases()[1]!.makeUrl();
    const a = await startTestApp({ databaseUrl, workers: 0 });
    try {
      const pool = a.runtime.startWorkers(1);
      const created = await a.request('POST', '/v1/imports', {
        key: a.adminKey,
        body: { url: media.url('/bad/slow.mp4'), filename: 'finished' },
      });
      await waitFor(
        () => a.request('GET', `/v1/imports/${created.body.id}`, { key: a.adminKey }),
        (r) => r.body.status === 'running',
      );
      await pool.stop(60_000);
      const after = await a.request('GET', `/v1/imports/${created.body.id}`, { key: a.adminKey });
      expect(after.body.status).toBe('completed');
      expect(after.body.attempts).toBe(1);
    } finally {
      await a.close();
    }
  });
});
