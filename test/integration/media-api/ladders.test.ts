// Real parts: the HTTP app on a loopback port with in-process workers, SQLite (and PostgreSQL for
// one smoke test), the run's shared moto and s3rver as the user's bucket, yt-dlp, ffmpeg and
// ffprobe, and the loopback media server. The ladders are read back FROM THE BUCKET: the test's
// own ffprobe opens the master playlist / manifest on the S3 server's endpoint, anonymously, and
// follows the relative rendition and segment URLs there. Players fetch segments by relative,
// unsigned URLs, so a bucket serving HLS/DASH allows anonymous reads (MinIO: `mc anonymous set
// download`); the test gives its bucket that policy.
import { createHash } from 'node:crypto';
import { PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { ffprobe, httpGet, watchImport, type ResultFile } from './media-api-support.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const [sqlite, postgres] = testDatabases();

/** A path-style, unsigned URL of an object on the test S3 server (no IAM enforcement). */
const objectUrl = (s3: S3TestServer, bucket: string, key: string) =>
  `${s3.endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

describe('HLS and DASH ladders into an S3 destination (SQLite, moto)', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let moto: S3TestServer;
  let t: TestApp;

  beforeAll(async () => {
    moto = connectShared(inject('s3').moto);
    media = await startMediaServer(fixtures);
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl() });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), moto?.stop()]);
    expect(activeProcessCount()).toBe(0);
  });

  async function publicBucket(): Promise<string> {
    const bucket = await moto.createBucket();
    const client = new S3Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    try {
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: '*',
            Action: ['s3:GetObject'],
            Resource: [`arn:aws:s3:::${bucket}/*`],
          },
        ],
      };
      await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    } finally {
      client.destroy();
    }
    return bucket;
  }

  it('a 720p page → 480p file + HLS and DASH ladders (480/360/240) that ffprobe reads from the bucket', async () => {
    const bucket = await publicBucket();
    const started = Date.now();
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: {
        url: media.url('/page/video.html'),
        destination: {
          provider: 'minio',
          endpoint: moto.endpoint,
          region: 'us-east-1',
          bucket,
          accessKeyId: moto.accessKeyId,
          secretAccessKey: moto.secretAccessKey,
          forcePathStyle: true,
        },
        path: 'media/2024',
        filename: 'ladder',
        format: { kind: 'video', quality: '480p' },
        outputs: ['file', 'hls', 'dash'],
      },
    });
    expect(created.status).toBe(202);
    const { final, seen } = await watchImport(t, t.adminKey, created.body.id, 90_000);
    expect(final.error).toBeNull();
    expect(final.status).toBe('completed');
    console.info(
      `ladder import (480p file + 2 three-rung ladders of a 4 s clip, moto): ${Date.now() - started} ms`,
    );
    const percents = seen.map((s) => s.percent).filter((p): p is number => p !== null);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(final.result.storage).toBe('destination');

    // The result lists the file, each master / manifest, and each HLS rendition's playlist.
    expect(final.result.files.map((f: ResultFile) => [f.role, f.key, f.contentType])).toEqual([
      ['file', 'media/2024/ladder.mp4', 'video/mp4'],
      ['hls', 'media/2024/ladder/hls/master.m3u8', 'application/vnd.apple.mpegurl'],
      ['hls', 'media/2024/ladder/hls/480p/index.m3u8', 'application/vnd.apple.mpegurl'],
      ['hls', 'media/2024/ladder/hls/360p/index.m3u8', 'application/vnd.apple.mpegurl'],
      ['hls', 'media/2024/ladder/hls/240p/index.m3u8', 'application/vnd.apple.mpegurl'],
      ['dash', 'media/2024/ladder/dash/manifest.mpd', 'application/dash+xml'],
    ]);
    for (const f of final.result.files) {
      expect(f.bucket).toBe(bucket);
      const stored = await moto.getObject(bucket, f.key);
      expect(stored.body.length).toBe(f.sizeBytes);
      expect(sha256(stored.body)).toBe(f.sha256);
      expect(stored.contentType).toBe(f.contentType);
    }
    const master = final.result.files[1];
    const viaPresign = await httpGet(master.presignedUrl);
    expect(viaPresign.status).toBe(200);
    expect(viaPresign.body.toString('utf8')).toContain('480p/index.m3u8');

    // Every object of the trees is there, with the type a player expects.
    const objects = await moto.listObjects(bucket, 'media/2024/ladder/');
    const types = new Map<string, string>();
    for (const o of objects) types.set(o.key, (await moto.getObject(bucket, o.key)).contentType ?? '');
    const hls = [...types].filter(([k]) => k.includes('/hls/'));
    const dash = [...types].filter(([k]) => k.includes('/dash/'));
    expect(hls.filter(([k]) => k.endsWith('.ts')).length).toBeGreaterThanOrEqual(3);
    for (const [key, type] of hls)
      expect(type).toBe(key.endsWith('.ts') ? 'video/mp2t' : 'application/vnd.apple.mpegurl');
    expect(dash.filter(([k]) => /\/chunk-[^/]+\.m4s$/.test(k)).length).toBeGreaterThanOrEqual(4);
    for (const [key, type] of dash) {
      const expected = key.endsWith('.mpd')
        ? 'application/dash+xml'
        : /\/init-[^/]+\.m4s$/.test(key)
          ? 'video/mp4'
          : 'video/iso.segment';
      expect(type).toBe(expected);
    }

    const source = await ffprobe(fixtures.videoMp4.path);
    const hlsProbe = await ffprobe(objectUrl(moto, bucket, master.key));
    expect(hlsProbe.videoHeights).toEqual([480, 360, 240]);
    expect(hlsProbe.audioCodecs.length).toBeGreaterThan(0);
    expect(Math.abs(hlsProbe.durationSeconds - source.durationSeconds)).toBeLessThan(0.5);
    const dashProbe = await ffprobe(objectUrl(moto, bucket, 'media/2024/ladder/dash/manifest.mpd'));
    expect(dashProbe.videoHeights).toEqual([480, 360, 240]);
    expect(dashProbe.audioCodecs).toEqual(['aac']);
    expect(Math.abs(dashProbe.durationSeconds - source.durationSeconds)).toBeLessThan(0.5);
    const file = await ffprobe(objectUrl(moto, bucket, 'media/2024/ladder.mp4'));
    expect(file.videoHeights).toEqual([480]);
  });
});

describe('fallback of a media job (SQLite, moto)', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let moto: S3TestServer;
  let t: TestApp;

  beforeAll(async () => {
    moto = connectShared(inject('s3').moto);
    media = await startMediaServer(fixtures);
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl() });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), moto?.stop()]);
  });

  it('a bucket that does not exist: the same artifacts go to managed storage, made only once', async () => {
    media.resetHits();
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: {
        url: media.url('/page/video.html'),
        destination: {
          provider: 'minio',
          endpoint: moto.endpoint,
          region: 'us-east-1',
          bucket: `bl-missing-${Date.now()}`,
          accessKeyId: moto.accessKeyId,
          secretAccessKey: moto.secretAccessKey,
          forcePathStyle: true,
        },
        filename: 'fallback',
        outputs: ['file', 'thumbnail'],
      },
    });
    const { final } = await watchImport(t, t.adminKey, created.body.id);
    expect(final.error).toBeNull();
    expect(final.result.storage).toBe('managed');
    expect(final.result.fallback.reason).toContain('NO_SUCH_BUCKET');
    expect(final.result.files.map((f: ResultFile) => [f.role, f.key, f.contentType])).toEqual([
      ['file', 'fallback.mp4', 'video/mp4'],
      ['thumbnail', 'fallback.jpg', 'image/jpeg'],
    ]);
    const download = await httpGet(final.result.files[0].presignedUrl);
    expect(sha256(download.body)).toBe(fixtures.videoMp4.sha256);
    // yt-dlp fetched the media once: the fallback reused the attempt's artifacts.
    expect(media.hits('/media/video.mp4')).toBe(1);
  });
});

describe('smoke on PostgreSQL: a saved s3rver destination gets a file and its thumbnail', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let s3rver: S3TestServer;
  let t: TestApp;

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    media = await startMediaServer(fixtures);
    t = await startTestApp({ databaseUrl: await postgres!.makeUrl() });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), s3rver?.stop()]);
  });

  it('og:video page → <prefix>/OG Test Clip.mp4 and .jpg in the bucket', async () => {
    const bucket = await s3rver.createBucket();
    const saved = await t.request('POST', '/v1/destinations', {
      key: t.adminKey,
      body: {
        name: 'media-smoke',
        provider: 'minio',
        endpoint: s3rver.endpoint,
        region: 'us-east-1',
        bucket,
        accessKeyId: s3rver.accessKeyId,
        secretAccessKey: s3rver.secretAccessKey,
        forcePathStyle: true,
        pathPrefix: 'inbox',
      },
    });
    expect(saved.status).toBe(201);
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/page/og.html'), destination: 'media-smoke', outputs: ['file', 'thumbnail'] },
    });
    const { final } = await watchImport(t, t.adminKey, created.body.id);
    expect(final.error).toBeNull();
    expect(final.result.files.map((f: ResultFile) => [f.role, f.key, f.contentType])).toEqual([
      ['file', 'inbox/OG Test Clip.mp4', 'video/mp4'],
      ['thumbnail', 'inbox/OG Test Clip.jpg', 'image/jpeg'],
    ]);
    const stored = await s3rver.getObject(bucket, 'inbox/OG Test Clip.mp4');
    expect(sha256(stored.body)).toBe(fixtures.videoMp4.sha256);
    const thumbnail = await s3rver.getObject(bucket, 'inbox/OG Test Clip.jpg');
    expect(thumbnail.contentType).toBe('image/jpeg');
    expect(thumbnail.body.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    expect((await s3rver.listObjects(bucket)).map((o) => o.key).sort()).toEqual([
      'inbox/OG Test Clip.jpg',
      'inbox/OG Test Clip.mp4',
    ]);
  });
});
