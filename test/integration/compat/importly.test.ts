// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, in-process workers, yt-dlp
// and ffprobe, a loopback media server with ffmpeg fixtures (its page plays the role of the seed's
// YouTube URL; its title is "Loopback Test Clip"), local managed storage, and a plain moto server
// per database. Request bodies are the seed's own (001), with only the host changed. Jobs get one
// attempt (BUCKETLOAD_MAX_ATTEMPTS=1) so the fallback to managed storage happens without backoff.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startMoto, type MotoServer } from '../../support/s3-servers.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { deleteBucket, download, headObject, pollJson, sha256 } from './compat-support.js';

const TITLE = 'Loopback Test Clip';
const STATUS_KEYS = [
  'jobId',
  'status',
  'mediaUrl',
  's3Storage',
  'title',
  'duration',
  'fileSizeBytes',
  'costInDollars',
].sort();

describe.each(testDatabases())('Importly adapter on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let moto: MotoServer;
  let media: MediaServer;
  let t: TestApp;
  let n = 0;
  let pageUrl: string;

  /** A user whose default destination is `bucket` (Importly's dashboard S3 settings). */
  async function userWithBucket(bucket: string | undefined, pathPrefix?: string) {
    const key = await t.userKey(`importly${Date.now()}${(n += 1)}`);
    const headers = { authorization: `Bearer ${key}` };
    if (bucket !== undefined) {
      const saved = await t.request('POST', '/v1/destinations', {
        headers,
        body: {
          name: 'importly',
          provider: 'other',
          endpoint: moto.endpoint,
          region: 'us-east-1',
          bucket,
          accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          default: true,
          ...(pathPrefix === undefined ? {} : { pathPrefix }),
        },
      });
      expect(saved.status).toBe(201);
    }
    return headers;
  }

  async function importAndWait(headers: Record<string, string>, body: Record<string, unknown>) {
    const created = await t.request('POST', '/import', { headers, body });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toEqual({ success: true, data: { jobId: expect.any(String), status: 'queued' } });
    const done = await pollJson(t, `/import/status?id=${created.body.data.jobId}`, headers, (b) =>
      ['completed', 'failed'].includes(b.data?.status),
    );
    expect(done.success).toBe(true);
    expect(done.data.error, JSON.stringify(done.data)).toBeUndefined();
    return done.data;
  }

  beforeAll(async () => {
    [moto, media] = await Promise.all([startMoto(), startMediaServer(fixtures)]);
    await Promise.all(['your-bucket', 'my-other-bucket', 'prefixed-bucket'].map((b) => moto.createBucket(b)));
    t = await startTestApp({
      databaseUrl: await makeUrl(),
      workers: 4,
      env: { BUCKETLOAD_MAX_ATTEMPTS: '1' },
    });
    pageUrl = media.url('/page/video.html');
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([moto?.stop(), media?.close()]);
  });

  it("lands the seed's four path and filename examples at exactly the seed's keys", async () => {
    const headers = await userWithBucket('your-bucket');
    const examples: Array<[Record<string, unknown>, string]> = [
      [{ storagePath: 'videos/2024', storageFilename: 'my-video' }, 'videos/2024/my-video.mp4'],
      [{ storagePath: 'videos/2024' }, `videos/2024/${TITLE}.mp4`],
      [{ storageFilename: 'my-video' }, 'my-video.mp4'],
      [{ store: true }, `${TITLE}.mp4`],
    ];
    const results = await Promise.all(
      examples.map(([example]) => importAndWait(headers, { url: pageUrl, store: true, ...example })),
    );

    expect((await moto.listObjects('your-bucket')).map((o) => o.key).sort()).toEqual(
      examples.map(([, key]) => key).sort(),
    );
    for (const [i, data] of results.entries()) {
      const key = examples[i]![1];
      const stored = await moto.getObject('your-bucket', key);
      expect(Object.keys(data).sort()).toEqual(STATUS_KEYS);
      expect(data).toMatchObject({
        status: 'completed',
        s3Storage: {
          bucket: 'your-bucket',
          key,
          url: `${moto.endpoint}/your-bucket/${key.split('/').map(encodeURIComponent).join('/')}`,
        },
        title: TITLE,
        fileSizeBytes: stored.body.length,
        costInDollars: 0,
      });
      expect(data.duration).toBeGreaterThan(3);
      // Without storageReturnLocation, mediaUrl is a download URL that works without credentials.
      const fetched = await download(data.mediaUrl);
      expect(fetched.status).toBe(200);
      expect(sha256(fetched.bytes)).toBe(sha256(stored.body));
    }
  });

  it('uses the default path prefix where the seed says so (examples 3 and 4), and storagePath replaces it', async () => {
    const headers = await userWithBucket('prefixed-bucket', 'imports');
    await Promise.all([
      importAndWait(headers, { url: pageUrl, store: true, storageFilename: 'my-video' }),
      importAndWait(headers, { url: pageUrl, store: true }),
      importAndWait(headers, {
        url: pageUrl,
        store: true,
        storagePath: 'videos/2024',
        storageFilename: 'my-video',
      }),
    ]);
    expect((await moto.listObjects('prefixed-bucket')).map((o) => o.key).sort()).toEqual(
      ['imports/my-video.mp4', `imports/${TITLE}.mp4`, 'videos/2024/my-video.mp4'].sort(),
    );
  });

  it("honours the seed's advanced example: storageBucket, storageClass and storageReturnLocation", async () => {
    const headers = await userWithBucket('your-bucket');
    const data = await importAndWait(headers, {
      url: pageUrl,
      store: true,
      storagePath: 'videos/2024',
      storageFilename: 'my-video',
      storageBucket: 'my-other-bucket',
      storageClass: 'INTELLIGENT_TIERING',
      storageReturnLocation: true,
    });
    const location = `${moto.endpoint}/my-other-bucket/videos/2024/my-video.mp4`;
    expect(data).toMatchObject({
      status: 'completed',
      mediaUrl: location,
      s3Storage: { url: location, bucket: 'my-other-bucket', key: 'videos/2024/my-video.mp4' },
      title: TITLE,
    });
    expect((await moto.listObjects('my-other-bucket')).map((o) => o.key)).toEqual([
      'videos/2024/my-video.mp4',
    ]);
    expect((await headObject(moto, 'my-other-bucket', 'videos/2024/my-video.mp4')).StorageClass).toBe(
      'INTELLIGENT_TIERING',
    );
  });

  it('without store: true the file goes to managed storage (and storage-only fields are ignored)', async () => {
    const headers = await userWithBucket('your-bucket');
    const before = (await moto.listObjects('your-bucket')).length;
    const plain = await importAndWait(headers, { url: media.url('/media/video.mp4') });
    const explicit = await importAndWait(headers, {
      url: media.url('/media/video.mp4'),
      store: false,
      storagePath: 'kept/here',
      storageBucket: 'my-other-bucket',
      storageReturnLocation: true,
    });
    for (const data of [plain, explicit]) {
      expect(data.s3Storage).toBeUndefined();
      expect(data.mediaUrl.startsWith(t.baseUrl)).toBe(true);
      expect(data.fileSizeBytes).toBe(fixtures.videoMp4.size);
      const fetched = await download(data.mediaUrl);
      expect(fetched.status).toBe(200);
      expect(sha256(fetched.bytes)).toBe(fixtures.videoMp4.sha256);
    }
    const native = await t.request('GET', `/v1/imports/${explicit.jobId}`, { headers });
    expect(native.body.result).toMatchObject({
      storage: 'managed',
      files: [{ key: 'kept/here/video.mp4', bucket: null }],
    });
    expect((await moto.listObjects('your-bucket')).length).toBe(before);
  });

  it("falls back to managed storage when the upload to the bucket fails, with the standard mediaUrl (the seed's FAQ)", async () => {
    const bucket = await moto.createBucket();
    const headers = await userWithBucket(bucket);
    await deleteBucket(moto, bucket);
    const data = await importAndWait(headers, {
      url: media.url('/media/video.mp4'),
      store: true,
      storageReturnLocation: true,
    });
    expect(data.status).toBe('completed');
    expect(data.s3Storage).toBeUndefined();
    expect(data.mediaUrl.startsWith(t.baseUrl)).toBe(true);
    const fetched = await download(data.mediaUrl);
    expect(sha256(fetched.bytes)).toBe(fixtures.videoMp4.sha256);
    const native = await t.request('GET', `/v1/imports/${data.jobId}`, { headers });
    expect(native.body.result).toMatchObject({
      storage: 'managed',
      fallback: { reason: expect.stringContaining('NO_SUCH_BUCKET') },
    });
  });

  it('answers status while queued in the same shape, and bad input with 4xx { success: false, error }', async () => {
    const headers = await userWithBucket(undefined);
    const created = await t.request('POST', '/import', {
      headers,
      body: { url: media.url('/bad/slow.mp4') },
    });
    const early = await t.request('GET', `/import/status?id=${created.body.data.jobId}`, { headers });
    expect(early.status).toBe(200);
    expect(early.body.success).toBe(true);
    expect(['queued', 'processing']).toContain(early.body.data.status);
    expect(early.body.data).toMatchObject({
      jobId: created.body.data.jobId,
      mediaUrl: null,
      fileSizeBytes: null,
    });
    expect(early.body.data.s3Storage).toBeUndefined();
    await t.request('POST', `/v1/imports/${created.body.data.jobId}/cancel`, { headers });
    const canceled = await pollJson(
      t,
      `/import/status?id=${created.body.data.jobId}`,
      headers,
      (b) => b.data.status === 'failed',
    );
    expect(canceled.data.error).toEqual(expect.any(String));

    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/import', { url: pageUrl, store: true }, 400, /S3 storage is not configured/],
      ['POST', '/import', {}, 400, /url/],
      ['POST', '/import', { url: pageUrl, store: 'yes' }, 400, /store/],
      ['POST', '/import', { url: pageUrl, nope: 1 }, 400, /unknown field nope/],
      ['POST', '/import', { url: pageUrl, storagePath: 'a/../b' }, 400, /storagePath/],
      ['POST', '/import', { url: pageUrl, storageFilename: 'a/b' }, 400, /storageFilename/],
      ['POST', '/import', { url: pageUrl, includeAudio: false }, 400, /not supported/],
      ['POST', '/import', { url: pageUrl, videoQuality: '144p' }, 400, /240p/],
      ['POST', '/import', { url: 'file:///etc/passwd' }, 400, /http/],
      ['GET', '/import/status', undefined, 400, /id/],
      ['GET', '/import/status?id=imp_00000000000000000000000000', undefined, 404, /No such import/],
    ];
    for (const [method, url, body, status, message] of cases) {
      const res = await t.request(method, url, { headers, body });
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body).toMatchObject({
        success: false,
        error: expect.stringMatching(message),
        code: expect.any(String),
      });
    }
    const unauthenticated = await t.request('GET', '/import/status?id=x');
    expect(unauthenticated).toMatchObject({ status: 401, body: { success: false, code: 'AUTH_MISSING' } });

    const bucketUser = await userWithBucket('your-bucket');
    const badClass = await t.request('POST', '/import', {
      headers: bucketUser,
      body: { url: pageUrl, store: true, storageClass: 'lowercase_bad!' },
    });
    expect(badClass.status).toBe(400);
    expect(badClass.body.success).toBe(false);
  });
});
