// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, in-process workers, yt-dlp,
// ffmpeg and ffprobe, a loopback media server with ffmpeg fixtures, and a plain moto server per
// database reached over plain HTTP (Qencode's `use_tls: 0`). Destination objects are the seed's
// own (002), with only the endpoint host changed.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startMoto, type MotoServer } from '../../support/s3-servers.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';
import { download, headObject, publicReadGranted, sha256 } from './compat-support.js';

describe.each(testDatabases())('Qencode destination objects in POST /v1/imports on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let moto: MotoServer;
  let media: MediaServer;
  let t: TestApp;
  let key: string;
  let host: string;

  /** The seed's destination objects, on the moto host (plain HTTP, so `use_tls: 0`). */
  const seedDestination = (path: string) => ({
    url: `s3://${host}/my-bucket/${path}`,
    key: 'myAccessKeyId',
    secret: 'mySecretAccessKey',
    permissions: 'public-read',
    storage_class: 'REDUCED_REDUNDANCY',
    use_tls: 0,
  });

  beforeAll(async () => {
    [moto, media] = await Promise.all([startMoto(), startMediaServer(fixtures)]);
    host = new URL(moto.endpoint).host;
    await moto.createBucket('my-bucket');
    t = await startTestApp({ databaseUrl: await makeUrl() });
    key = await t.userKey(`qencode${Date.now()}`);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([moto?.stop(), media?.close()]);
  });

  it('a url that names a file (folder/output.mp4) is the exact key; the presigned URL returns the same bytes', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key,
      body: { url: media.url('/media/video.mp4'), destination: seedDestination('folder/output.mp4') },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const done = await waitForImport(t, key, created.body.id);
    expect(done.error).toBeNull();
    expect(done.result.storage).toBe('destination');
    expect(done.result.files[0]).toMatchObject({
      bucket: 'my-bucket',
      key: 'folder/output.mp4',
      sha256: fixtures.videoMp4.sha256,
    });
    expect(await moto.listObjects('my-bucket', 'folder/output')).toEqual([
      { key: 'folder/output.mp4', size: fixtures.videoMp4.size },
    ]);
    expect((await headObject(moto, 'my-bucket', 'folder/output.mp4')).StorageClass).toBe(
      'REDUCED_REDUNDANCY',
    );
    // permissions: public-read is sent as the object's canned ACL.
    expect(await publicReadGranted(moto, 'my-bucket', 'folder/output.mp4')).toBe(true);
    expect(
      done.result.files[0].presignedUrl.startsWith(`${moto.endpoint}/my-bucket/folder/output.mp4?`),
    ).toBe(true);
    const fetched = await download(done.result.files[0].presignedUrl);
    expect(fetched.status).toBe(200);
    expect(sha256(fetched.bytes)).toBe(fixtures.videoMp4.sha256);
    // Nothing of the credentials is kept in the answer.
    expect(JSON.stringify(done)).not.toContain('mySecretAccessKey');
  });

  it('a url without a file name is a folder: the file lands under it with its own name', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key,
      body: { url: media.url('/page/video.html'), destination: seedDestination('folder') },
    });
    const done = await waitForImport(t, key, created.body.id);
    expect(done.error).toBeNull();
    expect(done.result.files[0].key).toBe('folder/Loopback Test Clip.mp4');
    expect((await moto.listObjects('my-bucket', 'folder/Loopback')).map((o) => o.key)).toEqual([
      'folder/Loopback Test Clip.mp4',
    ]);
  });

  let abrKeys: string[] = [];

  it('ABR outputs (HLS) are written under the folder the url names', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key,
      body: {
        url: media.url('/page/video.html'),
        outputs: ['hls'],
        destination: seedDestination('abr/stream'),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const done = await waitForImport(t, key, created.body.id, 60_000);
    expect(done.error).toBeNull();
    abrKeys = (await moto.listObjects('my-bucket', 'abr/')).map((o) => o.key);
    expect(abrKeys.length).toBeGreaterThan(2);
    for (const k of abrKeys) expect(k.startsWith('abr/stream/')).toBe(true);
    expect(abrKeys.some((k) => k.endsWith('/master.m3u8'))).toBe(true);
    expect(done.result.files[0]).toMatchObject({
      role: 'hls',
      bucket: 'my-bucket',
      key: expect.stringMatching(/^abr\/stream\/.*master\.m3u8$/),
    });
  }, 90_000);

  // The seed: "specify the path to a folder where the contents of the HLS or DASH stream should be
  // located": the master playlist and the renditions sit directly in the folder.
  it('the HLS master playlist sits directly in the folder (abr/stream/master.m3u8)', () => {
    expect(abrKeys).toContain('abr/stream/master.m3u8');
    expect(abrKeys.every((k) => !k.includes('/hls/'))).toBe(true);
  });

  it('refuses malformed destination objects with a 4xx before any work', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...seedDestination('folder'), url: `http://${host}/my-bucket/folder` }, /destination/],
      [{ ...seedDestination('folder'), url: `s3://${host}` }, /destination/],
      [{ ...seedDestination('folder'), use_tls: 2 }, /destination/],
      [{ ...seedDestination('folder'), permissions: 'public-read-write' }, /destination/],
      [{ ...seedDestination('a/../b') }, /\.\./],
      [(({ secret: _s, ...rest }) => rest)(seedDestination('folder')), /destination/],
    ];
    for (const [destination, message] of cases) {
      const res = await t.request('POST', '/v1/imports', {
        key,
        body: { url: media.url('/media/video.mp4'), destination },
      });
      expect(res.status, JSON.stringify(destination)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(`${res.body.error.field ?? ''} ${res.body.error.message}`).toMatch(message);
    }
  });
});
