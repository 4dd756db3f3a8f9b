// Real parts: the built CLI as a subprocess (SQLite in a temp data dir), the shared moto and
// s3rver as the buckets under test.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/databases.js';
import { connectShared, type S3TestServer } from '../support/s3-servers.js';
import { assertBuilt, cliEnv, killLeftovers, runCli } from './cli-support.js';

describe('bucketload destinations test', () => {
  let moto: S3TestServer;
  let s3rver: S3TestServer;
  let dataDir: string;

  beforeAll(async () => {
    assertBuilt();
    moto = connectShared(inject('s3').moto);
    s3rver = connectShared(inject('s3').s3rver);
    dataDir = await tempDir('cli-dest-');
  });
  afterAll(async () => {
    expect(killLeftovers()).toBe(0);
    await Promise.all([moto?.stop(), s3rver?.stop()]);
  });

  const flags = (server: S3TestServer) => [
    '--endpoint',
    server.endpoint,
    '--access-key-id',
    server.accessKeyId,
    '--secret-access-key',
    server.secretAccessKey,
    '--path-style',
  ];

  it('prints the capability report of a good bucket, as JSON and as text', async () => {
    const bucket = await moto.createBucket();
    const json = await runCli(['destinations', 'test', `s3://${bucket}/media`, ...flags(moto), '--json'], {
      env: cliEnv(dataDir),
    });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      ok: true,
      capabilities: { put: true, read: true, list: true, delete: true, presign: true },
      markerRemoved: true,
    });
    expect(await moto.listObjects(bucket)).toEqual([]);

    const text = await runCli(['destinations', 'test', '--to', `s3://${bucket}`, ...flags(moto)], {
      env: cliEnv(dataDir),
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok: the bucket can receive files/);
    expect(text.stdout).toMatch(/put\s+yes/);
  });

  it('takes the bucket settings from the AWS_* variables', async () => {
    const bucket = await s3rver.createBucket();
    const env = cliEnv(dataDir, {
      AWS_ACCESS_KEY_ID: s3rver.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3rver.secretAccessKey,
      AWS_ENDPOINT_URL: s3rver.endpoint,
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    const run = await runCli(['destinations', 'test', `s3://${bucket}/x/`, '--json'], { env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, capabilities: { put: true } });
  });

  it('exits 1 with the classified error and its hint when the bucket does not exist', async () => {
    const missing = `bl-missing-${Date.now().toString(36)}`;
    const json = await runCli(['destinations', 'test', `s3://${missing}`, ...flags(moto), '--json'], {
      env: cliEnv(dataDir),
    });
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({
      ok: false,
      error: { code: 'NO_SUCH_BUCKET', message: expect.stringContaining('NoSuchBucket') },
    });
    expect(body.error.hint).toMatch(/Create the bucket/);

    const text = await runCli(['destinations', 'test', `s3://${missing}`, ...flags(moto)], {
      env: cliEnv(dataDir),
    });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('NO_SUCH_BUCKET');
    expect(text.stderr).toContain('hint: Create the bucket');
  });

  it('exits 2 when it is not told what to test, and 4 for an unknown saved destination', async () => {
    expect((await runCli(['destinations', 'test'], { env: cliEnv(dataDir) })).code).toBe(2);
    expect(
      (await runCli(['destinations', 'test', 's3://abc', '--name', 'x'], { env: cliEnv(dataDir) })).code,
    ).toBe(2);
    expect(
      (await runCli(['destinations', 'test', '--name', 'nothing-here'], { env: cliEnv(dataDir) })).code,
    ).toBe(4);
  });
});
