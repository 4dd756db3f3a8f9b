// Real parts: the HTTP app on a loopback port with SQLite, in-process workers, local managed
// storage, the loopback media server; the package's typed client (openapi-fetch) over real fetch.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBucketloadClient, isApiError, type ImportView } from '../../../src/client/index.js';
import { tempDir } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { startTestApp, waitFor, type TestApp } from '../../support/test-app.js';

describe('the typed client against the real API', () => {
  const fixtures = inject('fixtures');
  let t: TestApp;
  let media: MediaServer;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    t = await startTestApp({ databaseUrl: `sqlite://${await tempDir('client-')}/bucketload.db`, workers: 1 });
  });
  afterAll(async () => {
    await t?.close();
    await media?.close();
  });

  it('creates an import and reads it back, typed end to end', async () => {
    const client = createBucketloadClient({ baseUrl: t.baseUrl, apiKey: t.adminKey });
    const created = await client.POST('/v1/imports', {
      body: { url: media.url('/media/audio.mp3'), outputs: ['file'] },
    });
    expect(created.response.status).toBe(202);
    const id = created.data?.id ?? '';
    const done: ImportView = await waitFor(
      async () => (await client.GET('/v1/imports/{id}', { params: { path: { id } } })).data as ImportView,
      (view) => view.status === 'completed' || view.status === 'failed',
      30_000,
    );
    expect(done.status).toBe('completed');
    expect(done.result?.files[0]?.sha256).toBe(fixtures.audioMp3.sha256);
    const listed = await client.GET('/v1/imports', { params: { query: { limit: '5' } } });
    expect(listed.data?.items.map((item) => item.id)).toContain(id);
  });

  it('returns the documented error body, with code and hint', async () => {
    const anonymous = createBucketloadClient({ baseUrl: t.baseUrl });
    const { error, response } = await anonymous.GET('/v1/destinations');
    expect(response.status).toBe(401);
    expect(isApiError(error)).toBe(true);
    expect(error?.error.code).toBe('AUTH_MISSING');
    expect(error?.error.hint).toContain('Authorization');
  });

  it('reads the key before each request when given a function', async () => {
    const session: { key?: string } = {};
    const client = createBucketloadClient({ baseUrl: t.baseUrl, apiKey: () => session.key });
    expect((await client.GET('/v1/keys')).response.status).toBe(401);
    session.key = t.adminKey;
    expect((await client.GET('/v1/keys')).response.status).toBe(200);
  });
});
