// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, local managed storage on disk,
// the shared s3rver as a user's saved destination, in-process workers, ffprobe, and the loopback
// media server.
//
// Two users, alice and bob. Everything alice owns is tried with bob's key: every route answers 404
// (403 for a tampered download link), no answer carries anything of alice's, and afterwards every
// row and every object is exactly as before.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, waitForImport, type TestApp } from '../../support/test-app.js';
import { listFiles, rawRequest, snapshotDatabase, type Json } from './security-support.js';

describe.each(testDatabases())('tenant isolation on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let t: TestApp;
  let media: MediaServer;
  let s3rver: S3TestServer;
  let bucket: string;
  let alice: string;
  let bob: string;
  const secret = `alice-secret-${Date.now()}-DO-NOT-LEAK`;
  let aliceManaged: Json; // a completed import into managed storage
  let aliceS3: Json; // a completed import into alice's saved destination
  let aliceKeyId: string;
  let aliceUserId: string;
  let bobUserId: string;
  let bobManaged: Json;
  /** Strings of alice's that must never appear in an answer to bob. */
  let aliceSecrets: string[];

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    [media, bucket] = await Promise.all([startMediaServer(fixtures), s3rver.createBucket()]);
    t = await startTestApp({ databaseUrl: await makeUrl() });
    alice = await t.userKey('alice');
    bob = await t.userKey('bob');
    aliceUserId = (await t.runtime.services.users.findByName('alice'))!.id;
    bobUserId = (await t.runtime.services.users.findByName('bob'))!.id;
    aliceKeyId = (await t.request('GET', '/v1/keys', { key: alice })).body.items[0].id;

    const saved = await t.request('POST', '/v1/destinations', {
      key: alice,
      body: {
        name: 'main',
        provider: 'minio',
        endpoint: s3rver.endpoint,
        region: 'us-east-1',
        bucket,
        accessKeyId: s3rver.accessKeyId,
        secretAccessKey: secret,
        forcePathStyle: true,
        default: false,
      },
    });
    expect(saved.status).toBe(201);
    const [m, d, b] = await Promise.all([
      t.request('POST', '/v1/imports', {
        key: alice,
        body: { url: media.url('/media/audio.mp3'), destination: 'managed', filename: 'clip' },
      }),
      t.request('POST', '/v1/imports', {
        key: alice,
        body: { url: media.url('/media/audio.m4a'), destination: 'main', path: 'alice' },
      }),
      t.request('POST', '/v1/imports', {
        key: bob,
        body: { url: media.url('/media/audio.mp3'), destination: 'managed', filename: 'clip' },
      }),
    ]);
    [aliceManaged, aliceS3, bobManaged] = await Promise.all([
      waitForImport(t, alice, m.body.id),
      waitForImport(t, alice, d.body.id),
      waitForImport(t, bob, b.body.id),
    ]);
    for (const done of [aliceManaged, aliceS3, bobManaged])
      expect(done.status, JSON.stringify(done.error)).toBe('completed');
    aliceSecrets = [
      aliceManaged.id,
      aliceS3.id,
      aliceKeyId,
      aliceUserId,
      bucket,
      secret,
      aliceS3.result.files[0].key,
      aliceManaged.result.files[0].id,
    ];
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([media?.close(), s3rver?.stop()]);
  });

  /** bob's view of alice's world: [description, method, path, body?, expected status, expected code]. */
  const attempts = (): Array<[string, string, string, unknown, number, string]> => {
    const mf = aliceManaged.result.files[0];
    const sf = aliceS3.result.files[0];
    return [
      ['get an import', 'GET', `/v1/imports/${aliceManaged.id}`, undefined, 404, 'IMPORT_NOT_FOUND'],
      ['get an S3 import', 'GET', `/v1/imports/${aliceS3.id}`, undefined, 404, 'IMPORT_NOT_FOUND'],
      [
        'cancel an import',
        'POST',
        `/v1/imports/${aliceManaged.id}/cancel`,
        undefined,
        404,
        'IMPORT_NOT_FOUND',
      ],
      ['cancel an S3 import', 'POST', `/v1/imports/${aliceS3.id}/cancel`, undefined, 404, 'IMPORT_NOT_FOUND'],
      [
        'follow a file of an import',
        'GET',
        `/v1/imports/${aliceManaged.id}/files/${mf.id}`,
        undefined,
        404,
        'IMPORT_NOT_FOUND',
      ],
      [
        'follow an S3 file of an import',
        'GET',
        `/v1/imports/${aliceS3.id}/files/${sf.id}`,
        undefined,
        404,
        'IMPORT_NOT_FOUND',
      ],
      ['get a destination', 'GET', '/v1/destinations/main', undefined, 404, 'DESTINATION_NOT_FOUND'],
      [
        'patch a destination',
        'PATCH',
        '/v1/destinations/main',
        { pathPrefix: 'stolen' },
        404,
        'DESTINATION_NOT_FOUND',
      ],
      [
        'make it his default',
        'PATCH',
        '/v1/destinations/main',
        { default: true },
        404,
        'DESTINATION_NOT_FOUND',
      ],
      ['delete a destination', 'DELETE', '/v1/destinations/main', undefined, 404, 'DESTINATION_NOT_FOUND'],
      ['test a destination', 'POST', '/v1/destinations/main/test', undefined, 404, 'DESTINATION_NOT_FOUND'],
      [
        'import into it by name',
        'POST',
        '/v1/imports',
        { url: media.url('/media/audio.mp3'), destination: 'main' },
        404,
        'DESTINATION_NOT_FOUND',
      ],
      ['revoke a key', 'DELETE', `/v1/keys/${aliceKeyId}`, undefined, 404, 'KEY_NOT_FOUND'],
      ['create a key for her', 'POST', '/v1/keys', { user: 'alice' }, 403, 'FORBIDDEN'],
      ['list users', 'GET', '/v1/users', undefined, 403, 'FORBIDDEN'],
      ['list children of her import', 'GET', `/v1/imports?parentId=${aliceManaged.id}`, undefined, 200, ''],
    ];
  };

  it('every route answers bob 404 (or 403 where it is an admin action), leaks nothing and changes nothing', async () => {
    const rowsBefore = await snapshotDatabase(t);
    const objectsBefore = listFiles(`${t.dataDir}/objects`);
    const bucketBefore = await s3rver.listObjects(bucket);
    for (const [what, method, path, body, status, code] of attempts()) {
      const res = await t.request(method, path, { key: bob, ...(body === undefined ? {} : { body }) });
      expect(res.status, what).toBe(status);
      if (code !== '') expect(res.body.error.code, what).toBe(code);
      else expect(res.body.items, what).toEqual([]);
      expect(res.headers.get('location'), what).toBeNull();
      const text = JSON.stringify(res.body);
      for (const s of aliceSecrets) expect(text.includes(s), `${what} leaked ${s}`).toBe(false);
    }
    expect(await snapshotDatabase(t)).toEqual(rowsBefore);
    expect(listFiles(`${t.dataDir}/objects`)).toEqual(objectsBefore);
    expect(await s3rver.listObjects(bucket)).toEqual(bucketBefore);
    // alice still has everything, bob sees none of it in his lists.
    expect((await t.request('GET', `/v1/imports/${aliceS3.id}`, { key: alice })).body.status).toBe(
      'completed',
    );
    expect((await t.request('GET', '/v1/destinations/main', { key: alice })).status).toBe(200);
    expect((await t.request('GET', '/v1/imports', { key: alice })).status).toBe(200);
    const own = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: `/v1/imports/${aliceManaged.id}/files/${aliceManaged.result.files[0].id}`,
      key: alice,
    });
    expect(own.status).toBe(302);
    expect(own.headers.location).toContain(`/files/${aliceUserId}/`);
  });

  it("bob's lists hold only his own imports, keys and destinations", async () => {
    const imports = await t.request('GET', '/v1/imports?limit=100', { key: bob });
    expect(imports.body.items.map((i: Json) => i.id)).toEqual([bobManaged.id]);
    const keys = await t.request('GET', '/v1/keys', { key: bob });
    expect(keys.body.items.every((k: Json) => k.userId === bobUserId)).toBe(true);
    expect((await t.request('GET', '/v1/destinations', { key: bob })).body.items).toEqual([]);
    for (const res of [imports, keys])
      for (const s of aliceSecrets) expect(JSON.stringify(res.body).includes(s)).toBe(false);
  });

  it('the compat adapters answer bob 404 for her imports', async () => {
    const tornado = await t.request('GET', `/jobs/${aliceManaged.id}`, { headers: { 'x-api-key': bob } });
    expect(tornado.status).toBe(404);
    const importly = await t.request('GET', `/import/status?id=${aliceManaged.id}`, { key: bob });
    expect(importly.status).toBe(404);
    expect(importly.body.code).toBe('IMPORT_NOT_FOUND');
    for (const res of [tornado, importly])
      for (const s of aliceSecrets) expect(JSON.stringify(res.body).includes(s)).toBe(false);
  });

  it('the SSE stream of her import answers bob 404 (when the route exists)', async () => {
    const res = await rawRequest(t.baseUrl, {
      method: 'GET',
      path: `/v1/imports/${aliceManaged.id}/events`,
      key: bob,
      headers: { accept: 'text/event-stream' },
    });
    if (res.body?.error?.code === 'ROUTE_NOT_FOUND') return;
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('IMPORT_NOT_FOUND');
  });

  it('a signed download link edited to point at another user or file is refused with 403', async () => {
    const link = new URL(aliceManaged.result.files[0].presignedUrl);
    const bobLink = new URL(bobManaged.result.files[0].presignedUrl);
    expect((await fetch(link)).status).toBe(200);
    const [, , userId, ...keyParts] = link.pathname.split('/');
    expect(userId).toBe(aliceUserId);
    const key = keyParts.join('/');
    const bobKey = bobLink.pathname.split('/').slice(3).join('/');
    expect(bobKey).toBe(key); // same file name in both accounts: only the user id differs
    const aliceFile = Buffer.from(await (await fetch(link)).arrayBuffer());

    const tampered: Array<[string, string]> = [
      ["alice's signature on bob's user id", `/files/${bobUserId}/${key}${link.search}`],
      ["bob's signature on alice's user id", `/files/${aliceUserId}/${bobKey}${bobLink.search}`],
      ["alice's signature, another key", `/files/${aliceUserId}/other.mp3${link.search}`],
      ["alice's signature, a path through ..", `/files/${aliceUserId}/../${bobUserId}/${key}${link.search}`],
      [
        "alice's signature, an encoded path through ..",
        `/files/${aliceUserId}/%2e%2e/${bobUserId}/${key}${link.search}`,
      ],
      ['a later expiry', withParam(link, 'expires', String(Number(link.searchParams.get('expires')) + 3600))],
      ['another download name', withParam(link, 'name', 'bob.mp3')],
      [
        'a signature with one character changed',
        withParam(link, 'sig', flipLast(link.searchParams.get('sig') ?? '')),
      ],
      ['no signature', `${link.pathname}?expires=${link.searchParams.get('expires')}&name=x&sig=`],
    ];
    for (const [what, path] of tampered) {
      const res = await rawRequest(t.baseUrl, { method: 'GET', path });
      expect([400, 403], `${what}: ${res.status} ${res.text.slice(0, 200)}`).toContain(res.status);
      if (res.status === 403) expect(res.body.error.code, what).toBe('SIGNATURE_INVALID');
      expect(res.headers['content-disposition'], what).toBeUndefined();
      expect(Buffer.from(res.text).includes(aliceFile.subarray(0, 64)), what).toBe(false);
    }
  });
});

/** The link's path and query with one parameter replaced. */
function withParam(link: URL, name: string, value: string): string {
  const edited = new URL(link);
  edited.searchParams.set(name, value);
  return `${edited.pathname}${edited.search}`;
}

function flipLast(sig: string): string {
  const last = sig.at(-1) === 'A' ? 'B' : 'A';
  return sig.slice(0, -1) + last;
}
