// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, in-process workers, yt-dlp
// and ffprobe, a loopback media server with ffmpeg fixtures, local managed storage, and real moto
// servers: a plain one per database (presigned URLs work there) and one enforcing IAM (for a real
// AccessDenied). Request bodies are the seed's own (000), with only the host changed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startMoto, type MotoServer } from '../../support/s3-servers.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { download, pollJson, sha256 } from './compat-support.js';

const SEED_BUCKET = 'my-tornado-downloads';
const seedBucketBody = (endpoint: string, bucket = SEED_BUCKET) => ({
  endpoint,
  bucket,
  region: 'us-east-1',
  access_key: 'AKIAIOSFODNN7EXAMPLE',
  secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
});

let iamMoto: MotoServer;
beforeAll(async () => {
  iamMoto = await startMoto({ enforceAuth: true });
});
afterAll(async () => {
  await iamMoto?.stop();
});

describe.each(testDatabases())('Tornado adapter on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let moto: MotoServer;
  let media: MediaServer;
  let t: TestApp;
  let n = 0;
  const newUser = async () => ({ 'x-api-key': await t.userKey(`tornado${Date.now()}${(n += 1)}`) });
  const waitJob = (headers: Record<string, string>, id: string) =>
    pollJson(t, `/jobs/${id}`, headers, (body) => body.status === 'Completed' || body.status === 'Failed');

  beforeAll(async () => {
    [moto, media] = await Promise.all([startMoto(), startMediaServer(fixtures)]);
    await moto.createBucket(SEED_BUCKET);
    t = await startTestApp({ databaseUrl: await makeUrl() });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([moto?.stop(), media?.close()]);
  });

  it('POST /user/bucket with the seed body verifies, saves the default and answers the seed message', async () => {
    const headers = await newUser();
    const saved = await t.request('POST', '/user/bucket', { headers, body: seedBucketBody(moto.endpoint) });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({ message: 'Bucket configuration updated successfully' });

    const listed = await t.request('GET', '/v1/destinations', { headers });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      name: 'tornado',
      bucket: SEED_BUCKET,
      default: true,
      region: 'us-east-1',
    });
    expect(JSON.stringify(listed.body)).not.toContain('wJalrXUtnFEMI');
    // The verification marker was removed again.
    expect(await moto.listObjects(SEED_BUCKET, '.bucketload-check')).toEqual([]);

    // Posting again replaces the configuration (another bucket), still one destination.
    const other = await moto.createBucket();
    const replaced = await t.request('POST', '/user/bucket', {
      headers,
      body: seedBucketBody(moto.endpoint, other),
    });
    expect(replaced.body).toEqual({ message: 'Bucket configuration updated successfully' });
    const after = await t.request('GET', '/v1/destinations', { headers });
    expect(
      after.body.items.map((d: { name: string; bucket: string; default: boolean }) => [
        d.name,
        d.bucket,
        d.default,
      ]),
    ).toEqual([['tornado', other, true]]);
  });

  it('POST /jobs with a folder lands at <folder>/<title>.<ext>; s3_url is a 24-hour presigned URL with the same bytes', async () => {
    const headers = await newUser();
    await t.request('POST', '/user/bucket', { headers, body: seedBucketBody(moto.endpoint) });
    const created = await t.request('POST', '/jobs', {
      headers,
      body: { url: media.url('/page/video.html'), folder: 'my-folder' },
    });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(['job_id']);

    const done = await waitJob(headers, created.body.job_id);
    expect(done).toMatchObject({
      id: created.body.job_id,
      url: media.url('/page/video.html'),
      status: 'Completed',
      step: 'Finished',
      error: null,
      subtitle_url: null,
      title: 'Loopback Test Clip',
      folder: 'my-folder',
    });
    const keys = (await moto.listObjects(SEED_BUCKET, 'my-folder/')).map((o) => o.key);
    expect(keys).toEqual(['my-folder/Loopback Test Clip.mp4']);
    const stored = await moto.getObject(SEED_BUCKET, 'my-folder/Loopback Test Clip.mp4');
    expect(done.file_size).toBe(stored.body.length);

    const s3Url = new URL(done.s3_url);
    expect(`${s3Url.origin}${s3Url.pathname}`).toBe(
      `${moto.endpoint}/${SEED_BUCKET}/my-folder/Loopback%20Test%20Clip.mp4`,
    );
    expect(s3Url.searchParams.get('X-Amz-Expires')).toBe('86400');
    const fetched = await download(done.s3_url);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(sha256(stored.body));
  });

  it('format and filename: the file is remuxed into the container Tornado asks for, under the sanitised name', async () => {
    const headers = await newUser();
    const bucket = await moto.createBucket();
    await t.request('POST', '/user/bucket', { headers, body: seedBucketBody(moto.endpoint, bucket) });
    const created = await t.request('POST', '/jobs', {
      headers,
      body: {
        url: media.url('/media/video.mp4'),
        folder: 'formats',
        filename: 'my/video',
        format: 'mkv',
        video_codec: 'copy',
        audio_codec: 'copy',
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const done = await waitJob(headers, created.body.job_id);
    expect(done.error).toBeNull();
    expect((await moto.listObjects(bucket)).map((o) => o.key)).toEqual(['formats/my-video.mkv']);
  });

  it('DELETE /user/bucket resets to managed storage: the next job does not touch the bucket', async () => {
    const headers = await newUser();
    const bucket = await moto.createBucket();
    await t.request('POST', '/user/bucket', { headers, body: seedBucketBody(moto.endpoint, bucket) });
    const reset = await t.request('DELETE', '/user/bucket', { headers });
    expect(reset.status).toBe(200);
    expect(reset.body.message).toMatch(/managed storage/);
    expect((await t.request('DELETE', '/user/bucket', { headers })).status).toBe(200);

    const created = await t.request('POST', '/jobs', {
      headers,
      body: { url: media.url('/media/video.mp4'), folder: 'after-reset' },
    });
    const done = await waitJob(headers, created.body.job_id);
    expect(done.status).toBe('Completed');
    const native = await t.request('GET', `/v1/imports/${created.body.job_id}`, { headers });
    expect(native.body.result.storage).toBe('managed');
    expect(native.body.result.files[0].key).toBe('after-reset/video.mp4');
    expect(await moto.listObjects(bucket)).toEqual([]);
    const fetched = await download(done.s3_url);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(fixtures.videoMp4.sha256);
  });

  it('answers "Verification failed: Access Denied" for keys without s3:PutObject and saves nothing', async () => {
    const headers = await newUser();
    const bucket = await iamMoto.createBucket();
    const readOnly = await iamMoto.createRestrictedUser({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:ListBucket'],
          Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        },
      ],
    });
    const denied = await t.request('POST', '/user/bucket', {
      headers,
      body: {
        endpoint: iamMoto.endpoint,
        bucket,
        region: 'us-east-1',
        access_key: readOnly.accessKeyId,
        secret_key: readOnly.secretAccessKey,
      },
    });
    expect(denied.status).toBe(400);
    expect(denied.body).toEqual({ error: 'Verification failed: Access Denied' });
    expect((await t.request('GET', '/v1/destinations', { headers })).body.items).toEqual([]);
  });

  it('answers "Verification failed: NoSuchBucket" for a missing bucket, and classified reasons for other failures', async () => {
    const headers = await newUser();
    const missing = await t.request('POST', '/user/bucket', {
      headers,
      body: seedBucketBody(moto.endpoint, 'no-such-bucket-here'),
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'Verification failed: NoSuchBucket' });

    const bucket = await iamMoto.createBucket();
    const wrongSecret = await t.request('POST', '/user/bucket', {
      headers,
      body: {
        endpoint: iamMoto.endpoint,
        bucket,
        region: 'us-east-1',
        access_key: iamMoto.accessKeyId,
        secret_key: 'not-the-secret',
      },
    });
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body).toEqual({ error: 'Verification failed: SignatureDoesNotMatch' });
    expect((await t.request('GET', '/v1/destinations', { headers })).body.items).toEqual([]);
  });

  it('documents both adapters in /docs under their own tags', async () => {
    const { body } = await t.request('GET', '/docs');
    const tags = (path: string, method: string) => body.paths[path]?.[method]?.tags;
    expect(tags('/user/bucket', 'post')).toEqual(['tornado']);
    expect(tags('/user/bucket', 'delete')).toEqual(['tornado']);
    expect(tags('/jobs', 'post')).toEqual(['tornado']);
    expect(tags('/jobs/{id}', 'get')).toEqual(['tornado']);
    expect(tags('/import', 'post')).toEqual(['importly']);
    expect(tags('/import/status', 'get')).toEqual(['importly']);
    expect(
      Object.keys(body.paths['/import'].post.requestBody.content['application/json'].schema.properties),
    ).toEqual(
      expect.arrayContaining([
        'store',
        'storagePath',
        'storageFilename',
        'storageBucket',
        'storageClass',
        'storageReturnLocation',
      ]),
    );
  });

  it('answers bad input with a 4xx in Tornado style, never a 5xx', async () => {
    const headers = await newUser();
    const cases: Array<[string, string, unknown, number, RegExp | string]> = [
      ['POST', '/user/bucket', { bucket: SEED_BUCKET }, 400, /endpoint|access_key/],
      ['POST', '/user/bucket', { ...seedBucketBody(moto.endpoint), extra: 1 }, 400, /unknown field extra/],
      ['POST', '/user/bucket', seedBucketBody('ftp://example.test'), 400, /endpoint/],
      ['POST', '/user/bucket', seedBucketBody(moto.endpoint, 'Bad_Bucket!'), 400, /bucket/],
      ['POST', '/user/bucket', '{not json', 400, /JSON/],
      ['POST', '/jobs', {}, 400, /url/],
      ['POST', '/jobs', { url: 'ftp://example.test/a.mp4' }, 400, /http/],
      [
        'POST',
        '/jobs',
        { url: media.url('/media/video.mp4'), folder: 'x'.repeat(201) },
        400,
        'Folder name too long (max 200 characters)',
      ],
      ['POST', '/jobs', { url: media.url('/media/video.mp4'), folder: '../up' }, 400, /cannot contain \.\./],
      ['POST', '/jobs', { url: media.url('/media/video.mp4'), folder: '/abs' }, 400, /start with \//],
      ['POST', '/jobs', { url: media.url('/media/video.mp4'), folder: 'a//b' }, 400, /empty folder/],
      ['POST', '/jobs', { url: media.url('/media/video.mp4'), format: 'mov' }, 400, /mov/],
      ['POST', '/jobs', { url: media.url('/media/video.mp4'), video_codec: 'h264' }, 400, /video_codec/],
      ['GET', '/jobs/imp_00000000000000000000000000', undefined, 404, 'Job not found'],
    ];
    for (const [method, url, body, status, message] of cases) {
      const res = await t.request(method, url, { headers, body });
      expect(res.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(status);
      expect(Object.keys(res.body)).toEqual(['error']);
      if (typeof message === 'string') expect(res.body.error).toBe(message);
      else expect(res.body.error).toMatch(message);
    }
    expect(await t.request('POST', '/jobs', { body: { url: media.url('/media/video.mp4') } })).toMatchObject({
      status: 401,
      body: { error: 'Missing API Key' },
    });
    expect(
      await t.request('GET', '/jobs/x', { headers: { 'x-api-key': `bl_${'x'.repeat(43)}` } }),
    ).toMatchObject({
      status: 401,
      body: { error: 'Invalid API Key' },
    });
    // Another user's job is not found.
    const other = await newUser();
    const created = await t.request('POST', '/jobs', {
      headers: other,
      body: { url: media.url('/media/audio.mp3') },
    });
    expect((await t.request('GET', `/jobs/${created.body.job_id}`, { headers })).status).toBe(404);
    await waitJob(other, created.body.job_id);
  });
});
