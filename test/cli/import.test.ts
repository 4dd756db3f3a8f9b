// Real parts: the built CLI as a subprocess (its own SQLite in a temp data dir, or PostgreSQL),
// the shared moto and s3rver as the user's buckets, the loopback media server, real ffprobe.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir, testDatabases } from '../support/databases.js';
import { startMediaServer, type MediaServer } from '../support/media-server.js';
import { connectShared, type S3TestServer } from '../support/s3-servers.js';
import { assertBuilt, cliEnv, jsonLines, killLeftovers, runCli, startCli } from './cli-support.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe('bucketload import', () => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let moto: S3TestServer;
  let s3rver: S3TestServer;

  beforeAll(async () => {
    assertBuilt();
    moto = connectShared(inject('s3').moto);
    s3rver = connectShared(inject('s3').s3rver);
    media = await startMediaServer(fixtures);
  });
  afterAll(async () => {
    expect(killLeftovers()).toBe(0);
    await Promise.all([media?.close(), moto?.stop(), s3rver?.stop()]);
  });

  const motoFlags = () => [
    '--endpoint',
    moto.endpoint,
    '--region',
    'us-east-1',
    '--access-key-id',
    moto.accessKeyId,
    '--secret-access-key',
    moto.secretAccessKey,
    '--path-style',
  ];

  describe.each(testDatabases())('on $name', ({ makeUrl }) => {
    it('imports into --to s3://bucket/path with flags: JSON lines, progress never backwards, bytes and sha256 match', async () => {
      const dataDir = await tempDir('cli-');
      const bucket = await moto.createBucket();
      const env = cliEnv(dataDir, { BUCKETLOAD_DATABASE_URL: await makeUrl() });
      const run = await runCli(
        ['import', media.url('/media/video.mp4'), '--to', `s3://${bucket}/clips/`, ...motoFlags(), '--json'],
        { env },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = jsonLines(run.stdout);
      expect(lines[0]).toMatchObject({ type: 'started', url: media.url('/media/video.mp4') });
      const result = lines.at(-1);
      expect(result).toMatchObject({ type: 'result', status: 'completed', storage: 'destination' });
      expect(lines.filter((l) => l.type === 'result')).toHaveLength(1);

      // Progress: within a phase bytes never go down; the percent never goes down at all.
      let phase = '';
      let bytes = 0;
      let percent = 0;
      const progress = lines.filter((l) => l.type === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      for (const line of lines) {
        if (line.type === 'phase') {
          phase = line.phase;
          bytes = 0;
        }
        if (line.type !== 'progress') continue;
        expect(line.phase).toBe(phase);
        expect(line.bytes).toBeGreaterThanOrEqual(bytes);
        if (line.percent !== null) expect(line.percent).toBeGreaterThanOrEqual(percent);
        bytes = line.bytes;
        percent = line.percent ?? percent;
      }

      expect(result.files).toHaveLength(1);
      const [file] = result.files;
      expect(file).toMatchObject({
        role: 'file',
        bucket,
        key: 'clips/video.mp4',
        sizeBytes: fixtures.videoMp4.size,
        sha256: fixtures.videoMp4.sha256,
        contentType: 'video/mp4',
      });
      const stored = await moto.getObject(bucket, 'clips/video.mp4');
      expect(sha256(stored.body)).toBe(fixtures.videoMp4.sha256);
      // The presigned URL in the result downloads the same bytes.
      const download = Buffer.from(await (await fetch(file.presignedUrl)).arrayBuffer());
      expect(sha256(download)).toBe(fixtures.videoMp4.sha256);
    });
  });

  it('takes the endpoint and keys from the AWS_* variables, and a file name from the URL', async () => {
    const dataDir = await tempDir('cli-');
    const bucket = await s3rver.createBucket();
    const env = cliEnv(dataDir, {
      AWS_ACCESS_KEY_ID: s3rver.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3rver.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3rver.endpoint,
    });
    const run = await runCli(
      ['import', media.url('/media/audio.mp3'), '--to', `s3://${bucket}/music/track.mp3`, '--json'],
      { env },
    );
    expect(run.code).toBe(0);
    const result = jsonLines(run.stdout).at(-1);
    expect(result.files[0]).toMatchObject({
      key: 'music/track.mp3',
      sha256: fixtures.audioMp3.sha256,
      sizeBytes: fixtures.audioMp3.size,
    });
    expect(sha256((await s3rver.getObject(bucket, 'music/track.mp3')).body)).toBe(fixtures.audioMp3.sha256);
  });

  it('imports into managed storage in the data dir without --to, with a readable summary', async () => {
    const dataDir = await tempDir('cli-');
    const run = await runCli(
      ['import', media.url('/media/video.webm'), '--path', 'inbox', '--filename', 'clip'],
      { env: cliEnv(dataDir) },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^completed imp_/);
    const match = new RegExp(`(${dataDir}/objects/\\S+/inbox/clip\\.webm)`).exec(run.stdout);
    expect(match?.[1]).toBeDefined();
    expect(sha256(fs.readFileSync(match![1]!))).toBe(fixtures.videoWebm.sha256);
    expect(run.stdout).toContain(fixtures.videoWebm.sha256);
  });

  it('exits 1 with the error code in the JSON result when the import fails', async () => {
    const dataDir = await tempDir('cli-');
    const run = await runCli(['import', media.url('/status/404'), '--json'], { env: cliEnv(dataDir) });
    expect(run.code).toBe(1);
    const result = jsonLines(run.stdout).at(-1);
    expect(result).toMatchObject({
      type: 'result',
      status: 'failed',
      error: { code: 'SOURCE_HTTP_ERROR' },
      files: [],
    });
  });

  it('exits 2 on usage errors, before touching anything', async () => {
    const dataDir = await tempDir('cli-');
    const env = cliEnv(dataDir);
    const cases = [
      ['import'],
      ['import', media.url('/media/video.mp4'), '--bogus'],
      ['import', media.url('/media/video.mp4'), '--to', 's3://b1/x', '--destination', 'd'],
      ['import', media.url('/media/video.mp4'), '--to', 'http://not-s3/'],
      ['import', media.url('/media/video.mp4'), '--outputs', 'file,nope'],
      ['import', media.url('/media/video.mp4'), '--endpoint', moto.endpoint],
      ['import', media.url('/media/video.mp4'), '--format', 'gif'],
      ['import', media.url('/media/video.mp4'), '--to', 's3://bucket-x/'], // no credentials anywhere
      ['import', 'ftp://example.invalid/x.mp4'],
    ];
    for (const args of cases) {
      const run = await runCli(args, { env });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).not.toBe('');
    }
    expect(fs.existsSync(path.join(dataDir, 'objects'))).toBe(false);
  });

  it('exits 4 when --destination names nothing', async () => {
    const dataDir = await tempDir('cli-');
    const run = await runCli(
      ['import', media.url('/media/video.mp4'), '--destination', 'nowhere', '--json'],
      { env: cliEnv(dataDir) },
    );
    expect(run.code).toBe(4);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ error: { code: 'DESTINATION_NOT_FOUND' } });
  });

  it.each(['bucket', 'managed'] as const)(
    'Ctrl-C during a slow download into %s storage exits 130 and leaves nothing behind',
    async (where) => {
      const dataDir = await tempDir('cli-');
      const bucket = await moto.createBucket();
      const target = where === 'bucket' ? ['--to', `s3://${bucket}/slow/`, ...motoFlags()] : [];
      const cli = startCli(['import', media.url('/bad/slow.mp4'), ...target, '--json'], {
        env: cliEnv(dataDir),
        timeoutMs: 30_000,
      });
      await cli.waitForJson((line) => line.type === 'progress' && line.bytes > 0);
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code).toBe(130);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({
        type: 'result',
        status: 'canceled',
        error: { code: 'JOB_CANCELED' },
        files: [],
      });

      expect(await moto.listObjects(bucket)).toEqual([]);
      expect(await moto.listMultipartUploads(bucket)).toEqual([]);
      expect(listFiles(path.join(dataDir, 'objects'))).toEqual([]);
      expect(listFiles(path.join(dataDir, 'work'))).toEqual([]);
      // No child process of the run survives it (none may mention its data dir or the source).
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(
        ps.split('\n').filter((args) => args.includes(dataDir) || args.includes(media.url('/bad/slow.mp4'))),
      ).toEqual([]);
    },
  );

  it('Ctrl-C while ffmpeg builds an HLS ladder stops ffmpeg and removes the temp dir', async () => {
    const dataDir = await tempDir('cli-');
    const cli = startCli(['import', media.url('/hls/master.m3u8'), '--outputs', 'hls,dash', '--json'], {
      env: cliEnv(dataDir),
      timeoutMs: 45_000,
    });
    await cli.waitForJson((line) => line.type === 'phase' && line.phase === 'processing');
    cli.child.kill('SIGINT');
    const run = await cli.done;
    expect(run.code).toBe(130);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ status: 'canceled', files: [] });
    expect(listFiles(path.join(dataDir, 'work'))).toEqual([]);
    expect(listFiles(path.join(dataDir, 'objects'))).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps.split('\n').filter((args) => args.includes(dataDir))).toEqual([]);
  });
});

/** Files (not directories) under `dir`, recursively; [] when it does not exist. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
