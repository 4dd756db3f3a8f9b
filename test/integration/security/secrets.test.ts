// Real parts: the HTTP app on a loopback port with its pino logger at `trace` (captured in memory),
// SQLite and PostgreSQL, local managed storage on disk, the shared s3rver as the users' bucket,
// in-process workers, ffprobe, and the loopback media server.
//
// Users' secret keys, webhook secrets, presigned-URL signatures and API keys never appear in a log
// line at any level, in an answer other than the one that creates them, or in plaintext in the
// database (for SQLite: the database file and its WAL, byte for byte).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';
import { rawRequest, snapshotDatabase, type Json } from './security-support.js';

describe.each(testDatabases())('secrets on $name', ({ name, makeUrl }) => {
  const fixtures = inject('fixtures');
  const logLines: string[] = [];
  let t: TestApp;
  let media: MediaServer;
  let s3rver: S3TestServer;
  let bucket: string;
  let databaseUrl: string;
  let userKey: string;
  /** Every secret the test handed to the app, by where it went. */
  const secrets: Record<string, string> = {};
  /** Signatures of every presigned or signed URL the app handed out. */
  const signatures: string[] = [];
  let sourceSignature: string;
  /** Every answer body, except the one that shows a new API key once. */
  const answers: string[] = [];

  const marker = (what: string) => `${what}-${Math.random().toString(36).slice(2)}-SECRETMARKER`;

  async function call(method: string, path: string, body?: unknown, key = userKey) {
    const res = await t.request(method, path, { key, ...(body === undefined ? {} : { body }) });
    answers.push(typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
    return res;
  }

  function collectSignatures(view: Json): void {
    for (const file of view.result?.files ?? []) {
      for (const url of [file.presignedUrl, file.url]) {
        if (typeof url !== 'string') continue;
        const params = new URL(url).searchParams;
        for (const name of ['X-Amz-Signature', 'sig']) {
          const sig = params.get(name);
          if (sig !== null) signatures.push(sig);
        }
      }
    }
  }

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    [media, bucket] = await Promise.all([startMediaServer(fixtures), s3rver.createBucket()]);
    databaseUrl = await makeUrl();
    t = await startTestApp({
      databaseUrl,
      env: { BUCKETLOAD_LOG_LEVEL: 'trace' },
      logDestination: { write: (line: string) => void logLines.push(line) },
    });
    userKey = await t.userKey('alice');
    const s3 = {
      provider: 'minio',
      endpoint: s3rver.endpoint,
      region: 'us-east-1',
      bucket,
      accessKeyId: s3rver.accessKeyId,
      forcePathStyle: true,
    };

    secrets['saved destination'] = marker('saved');
    expect(
      (
        await call('POST', '/v1/destinations', {
          name: 'main',
          ...s3,
          secretAccessKey: secrets['saved destination'],
        })
      ).status,
    ).toBe(201);
    secrets['patched destination'] = marker('patched');
    expect(
      (await call('PATCH', '/v1/destinations/main', { secretAccessKey: secrets['patched destination'] }))
        .status,
    ).toBe(200);
    secrets['tested destination'] = marker('tested');
    expect(
      (await call('POST', '/v1/destinations/test', { ...s3, secretAccessKey: secrets['tested destination'] }))
        .status,
    ).toBe(200);
    secrets['failed verification'] = marker('failed');
    const failed = await call('POST', '/v1/destinations', {
      name: 'broken',
      ...s3,
      endpoint: 'http://127.0.0.1:1',
      secretAccessKey: secrets['failed verification'],
    });
    expect(failed.status).toBe(400);
    secrets['failed test'] = marker('failedtest');
    expect(
      (
        await call('POST', '/v1/destinations/test', {
          ...s3,
          bucket: 'no-such-bucket-here',
          secretAccessKey: secrets['failed test'],
        })
      ).status,
    ).toBe(400);
    secrets['tornado bucket'] = marker('tornado');
    const tornado = await t.request('POST', '/user/bucket', {
      headers: { 'x-api-key': userKey },
      body: {
        endpoint: s3rver.endpoint,
        bucket,
        access_key: s3rver.accessKeyId,
        secret_key: secrets['tornado bucket'],
      },
    });
    answers.push(JSON.stringify(tornado.body));
    expect(tornado.status).toBe(200);

    // A source URL that is itself presigned: the user's to keep (stored, shown back), never logged.
    sourceSignature = marker('sourcesig');
    secrets['inline destination'] = marker('inline');
    secrets['qencode destination'] = marker('qencode');
    secrets['webhook'] = marker('webhook');
    const host = new URL(s3rver.endpoint).host;
    const created = await Promise.all([
      call('POST', '/v1/imports', {
        url: media.url('/media/audio.mp3'),
        destination: { ...s3, secretAccessKey: secrets['inline destination'] },
        path: 'inline',
      }),
      call('POST', '/v1/imports', {
        url: media.url('/media/audio.m4a'),
        destination: {
          url: `s3://${host}/${bucket}/qencode`,
          key: s3rver.accessKeyId,
          secret: secrets['qencode destination'],
          use_tls: 0,
        },
      }),
      call('POST', '/v1/imports', {
        url: media.url('/media/audio.mp3'),
        destination: 'managed',
        webhook: { url: 'http://127.0.0.1:1/hook', secret: secrets['webhook'] },
      }),
      call('POST', '/v1/imports', {
        url: media.url(`/media/video.mp4?X-Amz-Signature=${sourceSignature}`),
        destination: 'main',
      }),
    ]);
    for (const res of created) {
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const done = await waitForImport(t, userKey, res.body.id);
      expect(done.status, JSON.stringify(done.error)).toBe('completed');
      const view = await call('GET', `/v1/imports/${res.body.id}`);
      collectSignatures(view.body);
      const file = view.body.result.files[0];
      // Follow the authenticated redirect and download through the link: both get logged as requests.
      const redirect = await rawRequest(t.baseUrl, {
        method: 'GET',
        path: `/v1/imports/${res.body.id}/files/${file.id}`,
        key: userKey,
      });
      expect(redirect.status).toBe(302);
      collectSignatures({ result: { files: [{ presignedUrl: redirect.headers.location }] } });
      expect((await fetch(file.presignedUrl)).status).toBe(200);
    }
    collectSignatures((await call('GET', '/v1/imports?limit=100')).body.items[0]);
    expect(signatures.length).toBeGreaterThanOrEqual(8);
    // A refused download (a valid signature on another name) is logged too.
    const managed = signatures.length;
    const link = new URL(
      (await call('GET', `/v1/imports/${created[2].body.id}`)).body.result.files[0].presignedUrl,
    );
    collectSignatures({ result: { files: [{ presignedUrl: link.toString() }] } });
    expect(signatures.length).toBe(managed + 1);
    link.searchParams.set('name', 'other.mp3');
    expect((await fetch(link)).status).toBe(403);
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), s3rver?.stop()]);
  });

  it('logged at trace level, and the log has request lines (the capture works)', () => {
    expect(logLines.length).toBeGreaterThan(50);
    expect(t.runtime.services.logger.level).toBe('trace');
    expect(logLines.some((l) => l.includes('/v1/destinations'))).toBe(true);
    expect(logLines.some((l) => l.includes('"job started"'))).toBe(true);
    // Download links are logged, without their query string.
    expect(logLines.some((l) => l.includes('"url":"/files/') && l.includes('?[redacted]'))).toBe(true);
  });

  it('never logs a secret key, a webhook secret, an API key or a URL signature', () => {
    const log = logLines.join('');
    for (const [where, secret] of Object.entries(secrets))
      expect(log.includes(secret), `log has the ${where} secret`).toBe(false);
    for (const sig of [...signatures, sourceSignature]) {
      const line = logLines.find((l) => l.includes(sig));
      expect(line, `a log line has the signature ${sig}`).toBeUndefined();
    }
    for (const key of [userKey, t.adminKey]) {
      expect(log.includes(key), 'log has an API key').toBe(false);
      expect(log.includes(key.slice(3)), 'log has the secret part of an API key').toBe(false);
    }
  });

  it('never answers with a secret, not even in a failed verification', () => {
    const all = answers.join('\n');
    for (const [where, secret] of Object.entries(secrets))
      expect(all.includes(secret), `an answer has the ${where} secret`).toBe(false);
  });

  it('keeps secrets encrypted and API keys as hashes only, in every row', async () => {
    const rows = JSON.stringify(await snapshotDatabase(t));
    for (const [where, secret] of Object.entries(secrets))
      expect(rows.includes(secret), `a row has the ${where} secret`).toBe(false);
    for (const key of [userKey, t.adminKey]) {
      expect(rows.includes(key.slice(3))).toBe(false);
      expect(rows.includes(createHash('sha256').update(key).digest('hex'))).toBe(true);
    }
    for (const sig of signatures) expect(rows.includes(sig)).toBe(false);
  });

  // Only SQLite has a database file to read byte for byte (PostgreSQL's rows are checked above).
  if (name === 'sqlite')
    it('has no secret or API key in the SQLite file or its WAL, byte for byte', () => {
      const file = databaseUrl.slice('sqlite://'.length);
      const files = [file, `${file}-wal`, `${file}-journal`].filter((f) => fs.existsSync(f));
      expect(files.length).toBeGreaterThanOrEqual(1);
      const needles = [...Object.values(secrets), userKey.slice(3), t.adminKey.slice(3), ...signatures];
      for (const f of files) {
        const bytes = fs.readFileSync(f);
        for (const needle of needles) {
          expect(bytes.includes(Buffer.from(needle, 'utf8')), `${f} holds ${needle}`).toBe(false);
          expect(bytes.includes(Buffer.from(needle, 'utf16le')), `${f} holds ${needle} (UTF-16)`).toBe(false);
        }
      }
    });
});
