// Real parts: the built CLI as a subprocess (SQLite in a temp data dir, read back with
// better-sqlite3), the shared moto as the saved destination, the loopback media server.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/databases.js';
import { startMediaServer, type MediaServer } from '../support/media-server.js';
import { connectShared, type S3TestServer } from '../support/s3-servers.js';
import { assertBuilt, cliEnv, jsonLines, killLeftovers, runCli } from './cli-support.js';

const kidOf = (hexKey: string) =>
  createHash('sha256').update(Buffer.from(hexKey, 'hex')).digest('hex').slice(0, 12);
const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

function secretKids(dataDir: string): string[] {
  const db = new SQLite(path.join(dataDir, 'bucketload.db'), { readonly: true });
  try {
    return (
      db.prepare('select secret_enc from destinations order by id').all() as Array<{ secret_enc: string }>
    ).map((r) => JSON.parse(r.secret_enc).kid as string);
  } finally {
    db.close();
  }
}

function keyFileKids(dataDir: string): string[] {
  return fs
    .readFileSync(path.join(dataDir, 'master.key'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => kidOf(l.trim()));
}

describe('bucketload master-key rotate', () => {
  const fixtures = inject('fixtures');
  let moto: S3TestServer;
  let media: MediaServer;

  beforeAll(async () => {
    assertBuilt();
    moto = connectShared(inject('s3').moto);
    media = await startMediaServer(fixtures);
  });
  afterAll(async () => {
    expect(killLeftovers()).toBe(0);
    await Promise.all([media?.close(), moto?.stop()]);
  });

  const saveDestination = async (env: Record<string, string>, bucket: string, name: string) => {
    const run = await runCli(
      [
        'destinations',
        'add',
        name,
        '--to',
        `s3://${bucket}/saved`,
        '--endpoint',
        moto.endpoint,
        '--access-key-id',
        moto.accessKeyId,
        '--secret-access-key',
        moto.secretAccessKey,
        '--path-style',
        '--json',
      ],
      { env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(moto.secretAccessKey);
  };

  it('adds a key to the key file, re-encrypts saved secrets, and the destination still works', async () => {
    const dataDir = await tempDir('cli-mk-');
    const env = cliEnv(dataDir);
    const bucket = await moto.createBucket();
    await saveDestination(env, bucket, 'archive');
    const [oldKid] = keyFileKids(dataDir);
    expect(secretKids(dataDir)).toEqual([oldKid]);

    const run = await runCli(['master-key', 'rotate', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      mode: 'key-file',
      reencrypted: 1,
      destinations: 1,
      previousKeyIds: [oldKid],
    });
    expect(result.keyId).not.toBe(oldKid);
    expect(keyFileKids(dataDir)).toEqual([result.keyId, oldKid]);
    expect(secretKids(dataDir)).toEqual([result.keyId]);
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    const imported = await runCli(
      ['import', media.url('/media/video.mp4'), '--destination', 'archive', '--json'],
      { env },
    );
    expect(imported.code, imported.stderr).toBe(0);
    const final = jsonLines(imported.stdout).at(-1);
    expect(final).toMatchObject({
      status: 'completed',
      storage: 'destination',
      files: [{ bucket, key: 'saved/video.mp4', sha256: fixtures.videoMp4.sha256 }],
    });
    expect(sha256((await moto.getObject(bucket, 'saved/video.mp4')).body)).toBe(fixtures.videoMp4.sha256);

    // A second rotation re-encrypts again; both older keys stay in the file.
    const again = JSON.parse((await runCli(['master-key', 'rotate', '--json'], { env })).stdout);
    expect(keyFileKids(dataDir)).toEqual([again.keyId, result.keyId, oldKid]);
    expect(secretKids(dataDir)).toEqual([again.keyId]);
  });

  it('with BUCKETLOAD_MASTER_KEY, re-encrypts under the variable using the old key kept in the key file', async () => {
    const dataDir = await tempDir('cli-mk-');
    const bucket = await moto.createBucket();
    await saveDestination(cliEnv(dataDir), bucket, 'env-archive');
    const [fileKid] = keyFileKids(dataDir);
    const newKey = randomBytes(32).toString('hex');
    const env = cliEnv(dataDir, { BUCKETLOAD_MASTER_KEY: newKey });

    const run = await runCli(['master-key', 'rotate', '--json'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      mode: 'environment',
      keyId: kidOf(newKey),
      reencrypted: 1,
      previousKeyIds: [fileKid],
    });
    expect(secretKids(dataDir)).toEqual([kidOf(newKey)]);
    expect(keyFileKids(dataDir)).toEqual([fileKid]); // the variable's key is never written to disk

    // Nothing left to do: rotate explains the steps instead.
    const explain = await runCli(['master-key', 'rotate'], { env });
    expect(explain.code).toBe(0);
    expect(explain.stderr).toContain('set BUCKETLOAD_MASTER_KEY to a new key');

    // A key the secrets were not sealed with, and no old key at hand: nothing changes, exit 1.
    fs.rmSync(path.join(dataDir, 'master.key'));
    const stranded = await runCli(['master-key', 'rotate', '--json'], {
      env: cliEnv(dataDir, { BUCKETLOAD_MASTER_KEY: randomBytes(32).toString('hex') }),
    });
    expect(stranded.code).toBe(1);
    expect(JSON.parse(stranded.stdout)).toMatchObject({ error: { code: 'MASTER_KEY_MISSING' } });
    expect(secretKids(dataDir)).toEqual([kidOf(newKey)]);
  });
});
