// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, in-process workers, local
// managed storage, a loopback media server, a loopback webhook receiver, the shared moto (for an S3
// error the metrics count). Webhooks: signed, retried with backoff, logged per job, refused by the
// egress policy; Server-Sent Events; Prometheus metrics; request ids in job logs.
import { Writable } from 'node:stream';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRuntime } from '../../../src/app/runtime.js';
import { loadConfig } from '../../../src/config/config.js';
import { createLogger } from '../../../src/core/logger.js';
import { verifyWebhookSignature } from '../../../src/events/webhook-signature.js';
import { buildApp } from '../../../src/http/app.js';
import { tempDir, testDatabases } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { connectShared } from '../../support/s3-servers.js';
import { startTestApp, waitFor, waitForImport, type TestApp } from '../../support/test-app.js';
import { readEventStream, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

describe.each(testDatabases())('webhooks, events and metrics on $name', ({ makeUrl }) => {
  const fixtures = inject('fixtures');
  let media: MediaServer;
  let hooks: WebhookReceiver;
  let t: TestApp;

  beforeAll(async () => {
    media = await startMediaServer(fixtures);
    hooks = await startWebhookReceiver();
    t = await startTestApp({
      databaseUrl: await makeUrl(),
      env: { BUCKETLOAD_WEBHOOK_BACKOFF_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await hooks?.close();
    await media?.close();
  });

  it('POSTs a signed import.completed webhook and logs the delivery', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: {
        url: media.url('/media/audio.mp3'),
        webhook: { url: hooks.url('/done'), secret: 'whsec-test-1' },
      },
    });
    expect(created.status).toBe(202);
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('completed');
    const [hook] = await waitFor(
      async () => hooks.received('/done'),
      (list) => list.length >= 1,
    );
    expect(hook!.headers['content-type']).toBe('application/json');
    expect(hook!.headers['bucketload-event']).toBe('import.completed');
    expect(
      verifyWebhookSignature('whsec-test-1', hook!.body, hook!.headers['bucketload-signature'] as string),
    ).toBe(true);
    expect(
      verifyWebhookSignature('another-secret', hook!.body, hook!.headers['bucketload-signature'] as string),
    ).toBe(false);
    expect(
      verifyWebhookSignature(
        'whsec-test-1',
        `${hook!.body} `,
        hook!.headers['bucketload-signature'] as string,
      ),
    ).toBe(false);
    const payload = JSON.parse(hook!.body);
    expect(payload.type).toBe('import.completed');
    expect(payload.id).toBe(hook!.headers['bucketload-delivery']);
    expect(payload.data.id).toBe(created.body.id);
    expect(payload.data.result.files[0].sha256).toBe(fixtures.audioMp3.sha256);
    expect(JSON.stringify(payload)).not.toContain('whsec-test-1');

    const log = await waitFor(
      () => t.request('GET', `/v1/imports/${created.body.id}/webhooks`, { key: t.adminKey }),
      (r) => r.body.items?.[0]?.status === 'delivered',
    );
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(1);
    const [delivery] = log.body.items;
    expect(delivery).toMatchObject({
      event: 'import.completed',
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 204,
      lastError: null,
    });
    expect(delivery.log).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, error: null })]);
    // Exactly one delivery for one final state, however many workers sweep the outbox.
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks.received('/done')).toHaveLength(1);
  });

  it('retries a failing target with growing delays and records every attempt (import.failed)', async () => {
    hooks.failFirst('/flaky', 2);
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/status/404'), webhook: { url: hooks.url('/flaky') } },
    });
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.status).toBe('failed');
    const log = await waitFor(
      () => t.request('GET', `/v1/imports/${created.body.id}/webhooks`, { key: t.adminKey }),
      (r) => r.body.items?.[0]?.status === 'delivered',
      60_000,
    );
    const [delivery] = log.body.items;
    expect(delivery.event).toBe('import.failed');
    expect(delivery.attempts).toBe(3);
    expect(delivery.log.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 204]);
    expect(delivery.log[0].error).toBe('HTTP_500');
    const received = hooks.received('/flaky');
    expect(received).toHaveLength(3);
    // Backoff: 1 s then 4 s (±10 %): lower bounds only, they hold however slow the machine is.
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(850);
    expect(received[2]!.at - received[1]!.at).toBeGreaterThanOrEqual(3500);
    // Unsigned without a secret; the event is in the body.
    expect(received[2]!.headers['bucketload-signature']).toBeUndefined();
    expect(JSON.parse(received[2]!.body).data.error.code).toBe('SOURCE_HTTP_ERROR');
  });

  it('streams status and progress as Server-Sent Events until the import completes', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/bad/slow.mp4'), filename: 'sse-slow' },
    });
    const stream = await readEventStream(`${t.baseUrl}/v1/imports/${created.body.id}/events`, {
      authorization: `Bearer ${t.adminKey}`,
    });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    expect(stream.headers.get('content-security-policy')).toContain("default-src 'none'");
    const names = stream.events.map((e) => e.event);
    expect(names[0]).toBe('status');
    expect(names.at(-1)).toBe('completed');
    expect(names).toContain('progress');
    const statuses = stream.events.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toContain('running');
    const bytes = stream.events
      .filter((e) => e.event === 'progress')
      .map((e) => e.data.progress.bytes as number);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
    const final = stream.events.at(-1)!.data;
    expect(final.result.files[0].sha256).toBe(fixtures.videoMp4.sha256);
    expect(final.result.files[0].presignedUrl).toMatch(/^http/);

    // A finished import answers at once: its state, then the final event.
    const again = await readEventStream(`${t.baseUrl}/v1/imports/${created.body.id}/events`, {
      authorization: `Bearer ${t.adminKey}`,
    });
    expect(again.events.map((e) => e.event)).toEqual(['status', 'completed']);
  });

  it('scopes events and delivery logs to the owner and requires a key', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: media.url('/media/audio.mp3') },
    });
    const other = await t.userKey(`other${Date.now()}`);
    const foreign = await readEventStream(`${t.baseUrl}/v1/imports/${created.body.id}/events`, {
      authorization: `Bearer ${other}`,
    });
    expect(foreign.status).toBe(404);
    expect((await t.request('GET', `/v1/imports/${created.body.id}/webhooks`, { key: other })).status).toBe(
      404,
    );
    expect((await readEventStream(`${t.baseUrl}/v1/imports/${created.body.id}/events`, {})).status).toBe(401);
    await waitForImport(t, t.adminKey, created.body.id);
  });

  it('serves Prometheus metrics: jobs by status, queue depth, slots, durations, bytes, S3 errors', async () => {
    const moto = connectShared(inject('s3').moto);
    // A bucket that does not exist: delivery fails with NoSuchBucket and falls back to managed storage.
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: {
        url: media.url('/media/audio.mp3'),
        destination: {
          provider: 'other',
          endpoint: moto.endpoint,
          region: 'us-east-1',
          bucket: 'bl-no-such-bucket-here',
          accessKeyId: moto.accessKeyId,
          secretAccessKey: moto.secretAccessKey,
          forcePathStyle: true,
        },
      },
    });
    expect(created.status).toBe(202);
    const done = await waitForImport(t, t.adminKey, created.body.id);
    expect(done.result.fallback.reason).toMatch(/NO_SUCH_BUCKET/);
    await moto.stop();

    const response = await fetch(`${t.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^bucketload_jobs\{status="completed"\} (\d+)$/m)).toBeGreaterThanOrEqual(4);
    expect(value(/^bucketload_jobs\{status="failed"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^bucketload_queue_depth\{state="ready"\} \d+$/m);
    expect(value(/^bucketload_worker_slots\{state="total"\} (\d+)$/m)).toBe(2);
    expect(text).toMatch(/^bucketload_worker_utilization \d/m);
    expect(
      value(/^bucketload_job_duration_seconds_count\{outcome="completed"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(4);
    expect(value(/^bucketload_bytes_moved_total (\d+)$/m)).toBeGreaterThan(fixtures.videoMp4.size);
    expect(
      value(/^bucketload_s3_errors_total\{code="NoSuchBucket",operation="\w+"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(value(/^bucketload_webhook_attempts_total\{outcome="delivered"\} (\d+)$/m)).toBeGreaterThanOrEqual(
      2,
    );
    expect(text).not.toMatch(/^(?!#)(?!bucketload_)\w/m);
  });
});

describe('webhook targets and the egress policy', () => {
  const fixtures = inject('fixtures');

  it('refuses a loopback webhook target that is not allow-listed: no request reaches it', async () => {
    const media = await startMediaServer(fixtures);
    const hooks = await startWebhookReceiver();
    // Only the media server's port is allowed; the receiver listens on another loopback port.
    const mediaPort = new URL(media.baseUrl).port;
    const [sqlite] = testDatabases();
    const t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: { BUCKETLOAD_EGRESS_ALLOW: `127.0.0.1:${mediaPort}` },
    });
    try {
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: media.url('/media/audio.mp3'), webhook: { url: hooks.url('/internal'), secret: 's' } },
      });
      expect((await waitForImport(t, t.adminKey, created.body.id)).status).toBe('completed');
      const log = await waitFor(
        () => t.request('GET', `/v1/imports/${created.body.id}/webhooks`, { key: t.adminKey }),
        (r) => r.body.items?.[0]?.status === 'failed',
      );
      expect(log.body.items[0]).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'EGRESS_DENIED',
        lastStatusCode: null,
      });
      expect(hooks.received()).toHaveLength(0);
    } finally {
      await t.close();
      await hooks.close();
      await media.close();
    }
  });
});

describe('request ids in job logs', () => {
  const fixtures = inject('fixtures');

  it("carries a request's x-request-id into the log lines of the job it created", async () => {
    const media = await startMediaServer(fixtures);
    const lines: Array<Record<string, unknown>> = [];
    let pending = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        pending += chunk.toString('utf8');
        let cut: number;
        while ((cut = pending.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(pending.slice(0, cut)) as Record<string, unknown>);
          pending = pending.slice(cut + 1);
        }
        callback();
      },
    });
    const [sqlite] = testDatabases();
    const config = loadConfig(
      {
        BUCKETLOAD_DATA_DIR: await tempDir('reqid-'),
        BUCKETLOAD_DATABASE_URL: await sqlite!.makeUrl(),
        BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8',
        BUCKETLOAD_LOG_LEVEL: 'info',
      },
      path.resolve('.'),
    );
    const runtime = await createRuntime(config, createLogger('info', sink));
    const app = await buildApp(runtime.services);
    try {
      const admin = await runtime.services.users.create('admin', true);
      const { key } = await runtime.services.keys.create(admin.id, 'test');
      runtime.startWorkers(1);
      const response = await app.inject({
        method: 'POST',
        url: '/v1/imports',
        headers: { authorization: `Bearer ${key}`, 'x-request-id': 'trace-4711-abc' },
        payload: { url: media.url('/media/audio.mp3') },
      });
      expect(response.statusCode).toBe(202);
      expect(response.headers['x-request-id']).toBe('trace-4711-abc');
      const id = response.json<{ id: string }>().id;
      await waitFor(
        async () => lines.filter((l) => l['jobId'] === id && l['msg'] === 'job completed'),
        (found) => found.length === 1,
        30_000,
      );
      const jobLines = lines.filter((l) => l['jobId'] === id);
      expect(jobLines.map((l) => l['msg'])).toEqual(expect.arrayContaining(['job started', 'job completed']));
      for (const line of jobLines) expect(line['reqId']).toBe('trace-4711-abc');
      expect(lines.some((l) => l['reqId'] === 'trace-4711-abc' && l['jobId'] === undefined)).toBe(true);
    } finally {
      await app.close();
      await runtime.close();
      await media.close();
    }
  });
});

describe('webhook targets under the default egress policy', () => {
  it('refuses a loopback target when nothing is allow-listed (the failed import still notifies, and is refused)', async () => {
    const hooks = await startWebhookReceiver();
    const [sqlite] = testDatabases();
    // An empty BUCKETLOAD_EGRESS_ALLOW is the default policy: public addresses only.
    const t = await startTestApp({
      databaseUrl: await sqlite!.makeUrl(),
      env: { BUCKETLOAD_EGRESS_ALLOW: '' },
    });
    try {
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: hooks.url('/source.mp4'), webhook: { url: hooks.url('/hook') } },
      });
      const done = await waitForImport(t, t.adminKey, created.body.id);
      expect(done.error.code).toBe('EGRESS_DENIED');
      const log = await waitFor(
        () => t.request('GET', `/v1/imports/${created.body.id}/webhooks`, { key: t.adminKey }),
        (r) => r.body.items?.[0]?.status === 'failed',
      );
      expect(log.body.items[0]).toMatchObject({
        event: 'import.failed',
        attempts: 1,
        lastError: 'EGRESS_DENIED',
      });
      expect(hooks.received()).toHaveLength(0);
    } finally {
      await t.close();
      await hooks.close();
    }
  });
});

describe('event streams and shutdown', () => {
  it('closing the app (SIGTERM) ends open event streams instead of waiting for their clients', async () => {
    const [sqlite] = testDatabases();
    const t = await startTestApp({ databaseUrl: await sqlite!.makeUrl(), workers: 0 });
    try {
      // No workers: the import stays queued, so its stream would stay open for ever.
      const created = await t.request('POST', '/v1/imports', {
        key: t.adminKey,
        body: { url: 'https://example.com/never.mp4' },
      });
      const stream = readEventStream(`${t.baseUrl}/v1/imports/${created.body.id}/events`, {
        authorization: `Bearer ${t.adminKey}`,
      });
      await new Promise((r) => setTimeout(r, 500));
      const closing = Date.now();
      await t.app.close();
      const result = await stream;
      expect(Date.now() - closing).toBeLessThan(10_000);
      expect(result.events.map((e) => e.event)).toEqual(['status']);
      expect(result.events[0]!.data.status).toBe('queued');
    } finally {
      await t.runtime.close();
    }
  });
});
