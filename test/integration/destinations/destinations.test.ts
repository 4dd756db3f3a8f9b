// Real parts: the HTTP app on loopback, SQLite and PostgreSQL, moto (with IAM enforcement) and
// s3rver as the user's bucket, the loopback media server, in-process workers.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared, startMoto, type MotoServer, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const PUT_ONLY = (bucket: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${bucket}/*`] }],
});

describe.each(testDatabases())('destinations on $name', ({ name, makeUrl }) => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let s3rver: S3TestServer;
  let moto: MotoServer;
  let t: TestApp;
  let databaseUrl: string;

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    [media, moto] = await Promise.all([startMediaServer(fixtures), startMoto({ enforceAuth: true })]);
    databaseUrl = await makeUrl();
    t = await startTestApp({ databaseUrl, env: { BUCKETLOAD_MAX_ATTEMPTS: '2' } });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), s3rver?.stop(), moto?.stop()]);
  });

  const s3rverBody = (bucket: string, extra: Record<string, unknown> = {}) => ({
    name: `s3rver-${bucket}`,
    provider: 'minio',
    endpoint: s3rver.endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: s3rver.accessKeyId,
    secretAccessKey: s3rver.secretAccessKey,
    forcePathStyle: true,
    ...extra,
  });

  it('verifies, saves with the secret masked and encrypted, and reports capabilities', async () => {
    const bucket = await s3rver.createBucket();
    const secret = `sk-${bucket}-SECRET-MARKER`;
    const created = await t.request('POST', '/v1/destinations', {
      key: t.adminKey,
      body: s3rverBody(bucket, { secretAccessKey: secret }),
    });
    expect(created.status).toBe(201);
    expect(created.body.secretAccessKey).not.toContain('SECRET');
    expect(created.body.capabilities.ok).toBe(true);
    expect(created.body.capabilities.capabilities).toEqual({
      put: true,
      read: true,
      list: true,
      delete: true,
      presign: true,
    });
    expect(created.body.default).toBe(true);
    const listed = await t.request('GET', '/v1/destinations', { key: t.adminKey });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(await s3rver.listObjects(bucket)).toEqual([]);
    if (name === 'sqlite') {
      const file = databaseUrl.slice('sqlite://'.length);
      for (const f of [file, `${file}-wal`])
        if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(secret))).toBe(false);
    }
  });

  it('reports a put-only key as usable, with read/list/delete false', async () => {
    const bucket = await moto.createBucket();
    const creds = await moto.createRestrictedUser(PUT_ONLY(bucket));
    const tested = await t.request('POST', '/v1/destinations/test', {
      key: t.adminKey,
      body: {
        provider: 'other',
        endpoint: moto.endpoint,
        region: 'us-east-1',
        bucket,
        ...creds,
        forcePathStyle: true,
      },
    });
    expect(tested.status).toBe(200);
    expect(tested.body.ok).toBe(true);
    expect(tested.body.capabilities.put).toBe(true);
    expect(tested.body.capabilities.read).toBe(false);
    expect(tested.body.capabilities.list).toBe(false);
    expect(tested.body.capabilities.delete).toBe(false);
  });

  it('refuses to save with a classified reason and saves nothing', async () => {
    const bucket = await moto.createBucket();
    const creds = await moto.createRestrictedUser(PUT_ONLY(bucket));
    const base = { provider: 'other', endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true };
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { name: 'wrong-secret', bucket, accessKeyId: creds.accessKeyId, secretAccessKey: 'x'.repeat(40) },
        'SIGNATURE_DOES_NOT_MATCH',
      ],
      [
        { name: 'unknown-key', bucket, accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) },
        'INVALID_ACCESS_KEY_ID',
      ],
      [{ name: 'other-bucket', bucket: await moto.createBucket(), ...creds }, 'ACCESS_DENIED'],
    ];
    for (const [body, code] of cases) {
      const res = await t.request('POST', '/v1/destinations', {
        key: t.adminKey,
        body: { ...base, ...body },
      });
      expect(res.status, code).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.hint).toBeTruthy();
      expect(JSON.stringify(res.body)).not.toContain('x'.repeat(40));
      expect(
        (await t.request('GET', `/v1/destinations/${String(body['name'])}`, { key: t.adminKey })).status,
      ).toBe(404);
    }
    const missing = await t.request('POST', '/v1/destinations', {
      key: t.adminKey,
      body: s3rverBody('no-such-bucket-here'),
    });
    expect(missing.body.error.code).toBe('NO_SUCH_BUCKET');
  });

  it('refuses a storage class the provider does not accept, before any work', async () => {
    const bucket = await s3rver.createBucket();
    const r2 = await t.request('POST', '/v1/destinations/test', {
      key: t.adminKey,
      body: { ...s3rverBody(bucket), name: undefined, provider: 'r2', storageClass: 'GLACIER' },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.error.code).toBe('INVALID_STORAGE_CLASS');
  });

  it('imports into the saved destination with sha256 metadata and a working presigned URL', async () => {
    const bucket = await s3rver.createBucket();
    const dest = await t.request('POST', '/v1/destinations', {
      key: t.adminKey,
      body: s3rverBody(bucket, { name: 'main', pathPrefix: 'incoming' }),
    });
    expect(dest.status).toBe(201);
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/video.mp4'), destination: 'main' },
    });
    expect(created.status).toBe(202);
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    expect(done.result.storage).toBe('destination');
    const [file] = done.result.files;
    expect(file.bucket).toBe(bucket);
    expect(file.key).toBe('incoming/video.mp4');
    expect(file.sha256).toBe(fixtures.videoMp4.sha256);
    const stored = await s3rver.getObject(bucket, 'incoming/video.mp4');
    expect(sha256(stored.body)).toBe(fixtures.videoMp4.sha256);
    expect(stored.metadata['sha256']).toBe(fixtures.videoMp4.sha256);
    const download = await fetch(file.presignedUrl);
    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(fixtures.videoMp4.sha256);
    expect(file.presignedUrl).not.toContain(s3rver.secretAccessKey === 'S3RVER' ? 'S3RVER:' : '::');
  });

  it('falls back to managed storage when the bucket keeps failing, and says why', async () => {
    const bucket = await moto.createBucket();
    const creds = await moto.createRestrictedUser(PUT_ONLY(bucket));
    const base = { provider: 'other', endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true };
    const saved = await t.request('POST', '/v1/destinations', {
      key: t.adminKey,
      body: { ...base, name: 'flaky', bucket, ...creds },
    });
    expect(saved.status).toBe(201);
    // The bucket's owner later takes the permission away: PutObject now fails on every attempt.
    const revoked = await moto.createRestrictedUser({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`] }],
    });
    const patched = await t.request('PATCH', '/v1/destinations/flaky', {
      key: t.adminKey,
      body: { accessKeyId: revoked.accessKeyId, secretAccessKey: revoked.secretAccessKey },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe('ACCESS_DENIED');

    const inline = {
      ...base,
      bucket,
      accessKeyId: revoked.accessKeyId,
      secretAccessKey: revoked.secretAccessKey,
    };
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/audio.mp3'), destination: inline },
    });
    expect(created.status).toBe(202);
    expect(JSON.stringify(created.body)).not.toContain(revoked.secretAccessKey);
    const done = await waitForImport(t, t.adminKey, created.body.id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.result.storage).toBe('managed');
    expect(done.result.fallback.reason).toContain('ACCESS_DENIED');
    expect(done.attempts).toBe(1);
    const download = await fetch(done.result.files[0].presignedUrl);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(fixtures.audioMp3.sha256);
    expect(await moto.listMultipartUploads(bucket).catch(() => [])).toEqual([]);
  });

  it("hides one user's destinations from another", async () => {
    const other = await t.userKey(`dst-other-${Date.now()}`);
    expect((await t.request('GET', '/v1/destinations/main', { key: other })).status).toBe(404);
    expect((await t.request('DELETE', '/v1/destinations/main', { key: other })).status).toBe(404);
    expect((await t.request('GET', '/v1/destinations', { key: other })).body.items).toEqual([]);
    const res = await t.request('POST', '/v1/imports', {
      key: other,
      body: { url: media.url('/media/video.mp4'), destination: 'main' },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('DESTINATION_NOT_FOUND');
  });
});
