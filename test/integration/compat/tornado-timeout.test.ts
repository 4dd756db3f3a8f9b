// Real parts: the HTTP app on a loopback port with SQLite and PostgreSQL, and a loopback endpoint
// that accepts TCP connections and never answers. The verifier's bound is 15 s and there is no
// configuration knob for it, so this file takes ~15 s: both databases run at once, in their own
// file so the other compat specs run beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../support/databases.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { startSilentEndpoint } from './compat-support.js';

describe('Tornado POST /user/bucket against an endpoint that never answers', () => {
  let silent: Awaited<ReturnType<typeof startSilentEndpoint>>;
  const apps: TestApp[] = [];

  beforeAll(async () => {
    silent = await startSilentEndpoint();
    for (const database of testDatabases())
      apps.push(await startTestApp({ databaseUrl: await database.makeUrl(), workers: 0 }));
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await silent?.close();
  });

  it('answers 400 "Verification failed: timeout" within the verifier bound and saves nothing (both databases)', async () => {
    await Promise.all(
      apps.map(async (t) => {
        const headers = { 'x-api-key': await t.userKey(`silent${Date.now()}`) };
        const started = Date.now();
        const res = await t.request('POST', '/user/bucket', {
          headers,
          body: {
            endpoint: silent.endpoint,
            bucket: 'my-tornado-downloads',
            region: 'us-east-1',
            access_key: 'AKIAIOSFODNN7EXAMPLE',
            secret_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          },
        });
        const elapsed = Date.now() - started;
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ error: 'Verification failed: timeout' });
        expect(elapsed).toBeLessThan(25_000);
        expect((await t.request('GET', '/v1/destinations', { headers })).body.items).toEqual([]);
      }),
    );
  }, 45_000);
});
