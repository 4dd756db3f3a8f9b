// Real parts: the HTTP app on a loopback port with the default egress policy (and, for redirects,
// one allow-listed loopback port), SQLite, in-process workers, node:http listeners on 127.0.0.1 and
// ::1 that count every request, system DNS for `localhost`.
//
// Every target below is a loopback listener (or a loopback spelling of one), so nothing here can
// leave the machine even if the policy failed; the counters prove it did not fail. Forms the unit
// tables also cover (NAT64, 6to4, private ranges, fake DNS) stay there: at the API level only forms
// that would land on loopback are used.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startTestApp, waitFor, type TestApp } from '../../support/test-app.js';
import { startCountingListener, type CountingListener } from '../egress/loopback-listeners.js';
import { rowCounts, type Json } from './security-support.js';

const [sqlite] = testDatabases();

type Expect = 'EGRESS_DENIED' | 'INVALID_URL';

/** [description, URL, where it is refused]. P: the 127.0.0.1 listener's port; Q: the ::1 listener's. */
function refusedForms(P: number, Q: number): Array<[string, string, Expect]> {
  const denied = (what: string, url: string): [string, string, Expect] => [what, url, 'EGRESS_DENIED'];
  const invalid = (what: string, url: string): [string, string, Expect] => [what, url, 'INVALID_URL'];
  return [
    denied('dotted loopback', `http://127.0.0.1:${P}/`),
    denied('upper-case scheme', `HTTP://127.0.0.1:${P}/`),
    denied('short 127.1', `http://127.1:${P}/`),
    denied('short 127.0.1', `http://127.0.1:${P}/`),
    denied('decimal', `http://2130706433:${P}/`),
    denied('hex', `http://0x7f000001:${P}/`),
    denied('hex short', `http://0x7f.1:${P}/`),
    denied('hex first octet', `http://0x7f.0.0.1:${P}/`),
    denied('octal', `http://0177.0.0.1:${P}/`),
    denied('octal short', `http://0177.1:${P}/`),
    denied('octal whole', `http://017700000001:${P}/`),
    denied('octal last octet', `http://127.0.0.01:${P}/`),
    denied('zero-padded', `http://127.000.000.001:${P}/`),
    denied('percent-encoded host', `http://%31%32%37%2E0%2E0%2E1:${P}/`),
    denied('full-width digits', `http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:${P}/`),
    denied('ideographic full stops', `http://127\u30020\u30020\u30021:${P}/`),
    denied('trailing dot', `http://127.0.0.1.:${P}/`),
    denied('other loopback address', `http://127.0.0.2:${P}/`),
    denied('top of 127/8', `http://127.255.255.254:${P}/`),
    denied('unspecified 0.0.0.0', `http://0.0.0.0:${P}/`),
    denied('unspecified 0', `http://0:${P}/`),
    denied('unspecified hex', `http://0x0:${P}/`),
    denied('localhost', `http://localhost:${P}/`),
    denied('LOCALHOST', `http://LOCALHOST:${P}/`),
    denied('localhost.', `http://localhost.:${P}/`),
    denied('https to loopback', `https://127.0.0.1:${P}/`),
    denied('https to localhost', `https://localhost:${P}/`),
    denied('fragment that looks like userinfo', `http://127.0.0.1:${P}#@media.example.com/`),
    denied('backslash that looks like a path', `http://127.0.0.1:${P}\\@media.example.com/`),
    denied('IPv6 loopback', `http://[::1]:${Q}/`),
    denied('IPv6 loopback long', `http://[0:0:0:0:0:0:0:1]:${Q}/`),
    denied('IPv6 loopback odd zeros', `http://[0000::0:0001]:${Q}/`),
    denied('IPv6 unspecified', `http://[::]:${Q}/`),
    denied('IPv4-mapped dotted', `http://[::ffff:127.0.0.1]:${P}/`),
    denied('IPv4-mapped hex', `http://[::ffff:7f00:1]:${P}/`),
    denied('IPv4-mapped long', `http://[0:0:0:0:0:ffff:127.0.0.1]:${P}/`),
    denied('IPv4-mapped unspecified', `http://[::ffff:0.0.0.0]:${P}/`),
    invalid('userinfo before loopback', `http://media.example.com@127.0.0.1:${P}/`),
    invalid('user and password', `http://user:pass@127.0.0.1:${P}/`),
    invalid('two ports', `http://127.0.0.1:${P}:80/`),
    invalid('IPv6 zone id', `http://[::1%25lo]:${Q}/`),
    invalid('ftp', `ftp://127.0.0.1:${P}/`),
    invalid('gopher', `gopher://127.0.0.1:${P}/_GET%20/`),
    invalid('dict', `dict://127.0.0.1:${P}/`),
    invalid('file', 'file:///etc/passwd'),
    invalid('file with host', `file://127.0.0.1:${P}/etc/passwd`),
  ];
}

/** Polls the user's imports until none is queued or running; returns them by id. */
async function settle(t: TestApp, key: string, ids: string[]): Promise<Map<string, Json>> {
  const byId = new Map<string, Json>();
  await waitFor(
    async () => {
      for (const id of ids) {
        if (['failed', 'completed', 'canceled'].includes(byId.get(id)?.status)) continue;
        byId.set(id, (await t.request('GET', `/v1/imports/${id}`, { key })).body);
      }
      return byId;
    },
    (m) => ids.every((id) => ['failed', 'completed', 'canceled'].includes(m.get(id)?.status)),
    60_000,
  );
  return byId;
}

describe('egress through the API with the default policy (SQLite)', () => {
  let t: TestApp;
  let v4: CountingListener;
  let v6: CountingListener;

  beforeAll(async () => {
    [v4, v6] = await Promise.all([startCountingListener('127.0.0.1'), startCountingListener('::1')]);
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl(), env: { BUCKETLOAD_EGRESS_ALLOW: '' } });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([v4?.close(), v6?.close()]);
  });

  it('refuses at least 40 loopback URL forms: EGRESS_DENIED at connect time or INVALID_URL at submit; no listener sees a request', async () => {
    const forms = refusedForms(v4.port, v6.port);
    expect(forms.length).toBeGreaterThanOrEqual(40);
    const submitted: Array<[string, string]> = [];
    for (const [what, url, expected] of forms) {
      const before = await rowCounts(t);
      const res = await t.request('POST', '/v1/imports', { key: t.adminKey, body: { url } });
      if (expected === 'INVALID_URL') {
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'INVALID_URL', field: 'url' });
        expect(await rowCounts(t), what).toEqual(before);
      } else {
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(202);
        submitted.push([what, res.body.id]);
      }
    }
    const done = await settle(
      t,
      t.adminKey,
      submitted.map(([, id]) => id),
    );
    for (const [what, id] of submitted) {
      const job = done.get(id);
      expect(job.status, what).toBe('failed');
      expect(job.error?.code, `${what}: ${JSON.stringify(job.error)}`).toBe('EGRESS_DENIED');
      expect(job.attempts, `${what} is not retried`).toBe(1);
      expect(job.result, what).toBeNull();
    }
    expect(v4.count()).toBe(0);
    expect(v6.count()).toBe(0);
  });

  it('refuses an S3 endpoint on a loopback address: verification fails EGRESS_DENIED, nothing saved, no request', async () => {
    const body = (endpoint: string) => ({
      name: 'local',
      provider: 'minio',
      endpoint,
      region: 'us-east-1',
      bucket: 'any-bucket',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret-example',
      forcePathStyle: true,
    });
    for (const endpoint of [
      `http://127.0.0.1:${v4.port}`,
      `http://localhost:${v4.port}`,
      `http://2130706433:${v4.port}`,
      `http://[::1]:${v6.port}`,
      `http://[::ffff:127.0.0.1]:${v4.port}`,
    ]) {
      const tested = await t.request('POST', '/v1/destinations/test', {
        key: t.adminKey,
        body: { ...body(endpoint), name: undefined },
      });
      expect(tested.status, endpoint).toBe(403);
      expect(tested.body.error.code, endpoint).toBe('EGRESS_DENIED');
      const saved = await t.request('POST', '/v1/destinations', { key: t.adminKey, body: body(endpoint) });
      expect(saved.body.error.code, endpoint).toBe('EGRESS_DENIED');
      expect((await t.request('GET', '/v1/destinations', { key: t.adminKey })).body.items).toEqual([]);
    }
    expect(v4.count()).toBe(0);
    expect(v6.count()).toBe(0);
  });
});

describe('egress through the API with one allow-listed loopback port (SQLite)', () => {
  let t: TestApp;
  let allowed: CountingListener;
  let refused: CountingListener;
  let v6: CountingListener;

  beforeAll(async () => {
    [allowed, refused, v6] = await Promise.all([
      startCountingListener('127.0.0.1'),
      startCountingListener('127.0.0.1'),
      startCountingListener('::1'),
    ]);
    t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: { BUCKETLOAD_EGRESS_ALLOW: `127.0.0.1:${allowed.port}` },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([allowed?.close(), refused?.close(), v6?.close()]);
  });

  it('re-checks every redirect hop: a redirect from the allowed port to a refused listener fails EGRESS_DENIED', async () => {
    const R = refused.port;
    const targets = [
      `http://127.0.0.1:${R}/`,
      `http://localhost:${R}/`,
      `http://2130706433:${R}/`,
      `http://0x7f.1:${R}/`,
      `http://0.0.0.0:${R}/`,
      `http://[::1]:${v6.port}/`,
      `http://[::ffff:127.0.0.1]:${R}/`,
    ];
    const ids: Array<[string, string]> = [];
    for (const target of targets) {
      for (const status of ['302', '307']) {
        const url = `http://127.0.0.1:${allowed.port}/redirect?status=${status}&to=${encodeURIComponent(target)}`;
        const res = await t.request('POST', '/v1/imports', { key: t.adminKey, body: { url } });
        expect(res.status, target).toBe(202);
        ids.push([`${status} to ${target}`, res.body.id]);
      }
    }
    const done = await settle(
      t,
      t.adminKey,
      ids.map(([, id]) => id),
    );
    for (const [what, id] of ids) {
      const job = done.get(id);
      expect(job.status, what).toBe('failed');
      expect(job.error?.code, `${what}: ${JSON.stringify(job.error)}`).toBe('EGRESS_DENIED');
    }
    expect(allowed.count()).toBeGreaterThanOrEqual(ids.length);
    expect(refused.count()).toBe(0);
    expect(v6.count()).toBe(0);
  });

  it('refuses redirects to other schemes and over-long redirect chains', async () => {
    const before = allowed.count();
    const cases: Array<[string, string, string[]]> = [
      ['redirect to file:', `/redirect?to=${encodeURIComponent('file:///etc/passwd')}`, ['INVALID_URL']],
      [
        'redirect to ftp:',
        `/redirect?to=${encodeURIComponent(`ftp://127.0.0.1:${refused.port}/`)}`,
        ['INVALID_URL'],
      ],
      [
        'redirect with userinfo',
        `/redirect?to=${encodeURIComponent(`http://u:p@127.0.0.1:${allowed.port}/`)}`,
        ['INVALID_URL'],
      ],
      [
        'redirect with the allowed port as userinfo',
        `/redirect?to=${encodeURIComponent(`http://127.0.0.1:${allowed.port}@127.0.0.1:${refused.port}/`)}`,
        ['INVALID_URL'],
      ],
      ['30 hops', '/chain/30', ['TOO_MANY_REDIRECTS']],
    ];
    const ids: Array<[string, string, string[]]> = [];
    for (const [what, path, codes] of cases) {
      const res = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: `http://127.0.0.1:${allowed.port}${path}` },
      });
      expect(res.status, what).toBe(202);
      ids.push([what, res.body.id, codes]);
    }
    const done = await settle(
      t,
      t.adminKey,
      ids.map(([, id]) => id),
    );
    for (const [what, id, codes] of ids) {
      const job = done.get(id);
      expect(job.status, what).toBe('failed');
      expect(codes, `${what}: ${JSON.stringify(job.error)}`).toContain(job.error?.code);
    }
    // The chain stops at the hop limit instead of following all 30.
    expect(allowed.count() - before).toBeLessThan(3 + 30);
    expect(refused.count()).toBe(0);
  });

  it('still imports from the allow-listed port, directly and through a redirect on it', async () => {
    const direct = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: `http://127.0.0.1:${allowed.port}/hello.txt` },
    });
    const hop = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: {
        url: `http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${allowed.port}/again.txt`)}`,
        filename: 'again',
      },
    });
    const done = await settle(t, t.adminKey, [direct.body.id, hop.body.id]);
    for (const id of [direct.body.id, hop.body.id]) {
      const job = done.get(id);
      expect(job.status, JSON.stringify(job.error)).toBe('completed');
      expect(job.result.files[0].sizeBytes).toBe('hello from 127.0.0.1'.length);
    }
    expect(refused.count()).toBe(0);
  });
});
