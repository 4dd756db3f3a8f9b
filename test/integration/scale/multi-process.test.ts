// LONG (about 2 minutes): scale-out mode with real processes. Real parts: the built CLI as
// subprocesses — two API processes (`serve --no-workers`) and two `worker` processes — on one
// PostgreSQL database (a fresh database on the run's cluster), managed storage on the operator's
// bucket in the shared moto, loopback media, slow-source and webhook servers, yt-dlp and ffprobe.
// Then a load test: 1,000 submissions from 50 concurrent clients across both API processes.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyWebhookSignature } from '../../../src/events/webhook-signature.js';
import { tempDir } from '../../support/databases.js';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';
import { createPgDatabase, dropPgDatabase } from '../../support/postgres.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import {
  api,
  assertBuilt,
  prepareDatabase,
  startApi,
  startWorker,
  stopAll,
  waitForLog,
  type ApiProc,
  type Proc,
} from './cluster.js';
import { startSlowSource, type SlowSource } from './slow-source.js';
import { readEventStream, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const FINAL = ['completed', 'failed', 'canceled'];

async function waitDone(base: string, key: string, id: string, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(base, 'GET', `/v1/imports/${id}`, key);
    if (FINAL.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('multi-process mode: two API processes, two workers, one PostgreSQL, managed storage on S3', () => {
  const fixtures = inject('fixtures');
  const pgAdmin = inject('pgUrl');
  const dbName = `scale_mp_${randomBytes(4).toString('hex')}`;
  let media: MediaServer;
  let slow: SlowSource;
  let hooks: WebhookReceiver;
  let moto: S3TestServer;
  let bucket: string;
  let env: Record<string, string>;
  let keys: Record<string, string>;
  let api1: ApiProc;
  let api2: ApiProc;
  const workers: Proc[] = [];

  const workerEnv = async () => ({ ...env, BUCKETLOAD_DATA_DIR: await tempDir('mp-worker-') });

  beforeAll(async () => {
    assertBuilt();
    media = await startMediaServer(fixtures);
    slow = await startSlowSource();
    hooks = await startWebhookReceiver();
    moto = connectShared(inject('s3').moto);
    bucket = await moto.createBucket();
    const databaseUrl = await createPgDatabase(pgAdmin, dbName);
    env = {
      BUCKETLOAD_DATABASE_URL: databaseUrl,
      BUCKETLOAD_MANAGED_STORAGE: `s3://${bucket}/results?endpoint=${moto.endpoint}&region=us-east-1&forcePathStyle=true`,
      AWS_ACCESS_KEY_ID: moto.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
      // Every process must share the master key: secrets sealed by an API process are opened by workers.
      BUCKETLOAD_MASTER_KEY: randomBytes(32).toString('hex'),
      BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8',
      BUCKETLOAD_LEASE_SECONDS: '5',
      BUCKETLOAD_MAX_ACTIVE_JOBS_PER_USER: '1000000',
      BUCKETLOAD_RATE_LIMIT_PER_MINUTE: '10000000',
      BUCKETLOAD_WEBHOOK_BACKOFF_SECONDS: '1',
    };
    keys = await prepareDatabase({ ...env, BUCKETLOAD_DATA_DIR: await tempDir('mp-prep-') }, [
      'admin',
      ...Array.from({ length: 10 }, (_, i) => `client${i}`),
    ]);
    [api1, api2] = await Promise.all([
      startApi('api1', { ...env, BUCKETLOAD_DATA_DIR: await tempDir('mp-api1-') }),
      startApi('api2', { ...env, BUCKETLOAD_DATA_DIR: await tempDir('mp-api2-') }),
    ]);
    workers.push(
      ...(await Promise.all([
        startWorker('w1', await workerEnv(), { grace: 1 }),
        startWorker('w2', await workerEnv(), { grace: 1 }),
      ])),
    );
  }, 180_000);

  afterAll(async () => {
    await stopAll();
    await hooks?.close();
    await slow?.close();
    await media?.close();
    await moto?.stop();
    await dropPgDatabase(pgAdmin, dbName).catch(() => undefined);
  });

  it('runs imports submitted to either API on either worker; every result downloads through either API', async () => {
    const admin = keys['admin']!;
    const submissions = [
      { url: media.url('/media/video.mp4'), filename: 'mp-video' },
      { url: media.url('/media/audio.mp3'), filename: 'mp-audio' },
      { url: media.url('/big.bin'), filename: 'mp-big' },
      { url: media.url('/page/video.html'), filename: 'mp-page' },
      // Four slow ones at once: one worker holds two, so the other worker must take part.
      ...[1, 2, 3, 4].map((n) => ({
        url: slow.url(`mp-slow-${n}`, 400_000, 200_000),
        filename: `mp-slow-${n}`,
      })),
    ];
    const created = await Promise.all(
      submissions.map((body, i) =>
        api(i % 2 === 0 ? api1.baseUrl : api2.baseUrl, 'POST', '/v1/imports', admin, body),
      ),
    );
    for (const c of created) expect(c.status).toBe(202);
    const done = await Promise.all(
      created.map((c, i) => waitDone(i % 2 === 0 ? api2.baseUrl : api1.baseUrl, admin, c.body.id)),
    );
    const expected: Record<string, string> = {
      'mp-video.mp4': fixtures.videoMp4.sha256,
      'mp-audio.mp3': fixtures.audioMp3.sha256,
      'mp-big.bin': fixtures.bigBin.sha256,
      ...Object.fromEntries(
        [1, 2, 3, 4].map((n) => [`mp-slow-${n}.bin`, slow.sha256(`mp-slow-${n}`, 400_000)]),
      ),
    };
    for (const job of done) {
      expect(job.status, JSON.stringify(job.error)).toBe('completed');
      const file = job.result.files[0];
      if (expected[file.key] !== undefined) expect(file.sha256).toBe(expected[file.key]);
      for (const base of [api1.baseUrl, api2.baseUrl]) {
        const view = await api(base, 'GET', `/v1/imports/${job.id}`, admin);
        const presigned: string = view.body.result.files[0].presignedUrl;
        expect(presigned.startsWith(`${moto.endpoint}/${bucket}/results/`)).toBe(true);
        const bytes = Buffer.from(await (await fetch(presigned)).arrayBuffer());
        expect(sha256(bytes)).toBe(file.sha256);
      }
    }
    const byWorker = workers.map(
      (w) => w.logs.filter((l) => l['msg'] === 'job completed' && l['done'] === true).length,
    );
    expect(
      byWorker.every((n) => n >= 1),
      `completions per worker: ${byWorker.join(', ')}`,
    ).toBe(true);
    expect(byWorker.reduce((a, b) => a + b, 0)).toBe(submissions.length);
    expect(await moto.listMultipartUploads(bucket)).toEqual([]);
  });

  it('streams events from an API process that did not take the submission; workers deliver signed webhooks', async () => {
    const admin = keys['admin']!;
    const created = await api(api1.baseUrl, 'POST', '/v1/imports', admin, {
      url: slow.url('mp-events', 300_000, 150_000),
      webhook: { url: hooks.url('/mp'), secret: 'mp-secret' },
    });
    const stream = await readEventStream(`${api2.baseUrl}/v1/imports/${created.body.id}/events`, {
      authorization: `Bearer ${admin}`,
    });
    expect(stream.events.at(-1)?.event).toBe('completed');
    expect(stream.events.some((e) => e.event === 'progress')).toBe(true);
    const deadline = Date.now() + 30_000;
    while (hooks.received('/mp').length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const [hook] = hooks.received('/mp');
    expect(
      verifyWebhookSignature('mp-secret', hook!.body, hook!.headers['bucketload-signature'] as string),
    ).toBe(true);
    expect(JSON.parse(hook!.body).data.id).toBe(created.body.id);
  });

  it('SIGTERM: a worker stops claiming, releases the job it cannot finish in its grace period, and exits 0; the other worker finishes it', async () => {
    const admin = keys['admin']!;
    // About 8 s of download: longer than the workers' 1 s grace period.
    const created = await api(api1.baseUrl, 'POST', '/v1/imports', admin, {
      url: slow.url('mp-sigterm', 800_000, 100_000),
    });
    const id = created.body.id as string;
    let owner: Proc | undefined;
    const deadline = Date.now() + 30_000;
    while (owner === undefined && Date.now() < deadline) {
      owner = workers.find((w) => w.logs.some((l) => l['msg'] === 'job started' && l['jobId'] === id));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(owner).toBeDefined();
    const exit = await owner!.signal('SIGTERM', 60_000);
    expect(exit.code).toBe(0);
    await waitForLog(owner!, (l) => l['msg'] === 'job attempt released' && l['jobId'] === id, 1000).catch(
      () => {
        throw new Error(`no release logged: ${owner!.tail()}`);
      },
    );
    const done = await waitDone(api2.baseUrl, admin, id);
    expect(done.status).toBe('completed');
    // The released attempt was given back: the job counts only the attempt that finished it.
    expect(done.attempts).toBe(1);
    expect(done.result.files[0].sha256).toBe(slow.sha256('mp-sigterm', 800_000));
    workers.splice(
      workers.indexOf(owner!),
      1,
      await startWorker(`${owner!.name}b`, await workerEnv(), { grace: 1 }),
    );
  });

  // LONG: the load test. 1,000 submissions from 50 concurrent clients (10 users) alternating between
  // the two API processes; every request carries an Idempotency-Key and 100 of them are sent twice
  // (a client retrying after a lost answer). Proves: all accepted and persisted, none lost or
  // duplicated, all complete.
  it('LOAD: 1,000 submissions from 50 clients across two API processes — none lost, none duplicated, all complete', async () => {
    const total = 1000;
    const clients = 50;
    const users = Array.from({ length: 10 }, (_, i) => keys[`client${i}`]!);
    const retried = new Set(Array.from({ length: 100 }, (_, i) => i * 10 + 3));
    const ids = new Map<number, string>();
    const statuses: number[] = [];
    const latencies: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const key = users[client % users.length]!;
        for (;;) {
          const n = next;
          next += 1;
          if (n >= total) return;
          const base = n % 2 === 0 ? api1.baseUrl : api2.baseUrl;
          const body = {
            url: media.url('/text/plain.txt'),
            filename: `load-${n}`,
            metadata: { n: String(n) },
          };
          const headers = { 'idempotency-key': `load-${n}` };
          const t0 = performance.now();
          const first = await api(base, 'POST', '/v1/imports', key, body, headers);
          latencies.push(performance.now() - t0);
          statuses.push(first.status);
          ids.set(n, first.body.id);
          if (retried.has(n)) {
            // The retry goes to the other API process: same key and body → the same job, 200.
            const again = await api(
              n % 2 === 0 ? api2.baseUrl : api1.baseUrl,
              'POST',
              '/v1/imports',
              key,
              body,
              headers,
            );
            expect(again.status).toBe(200);
            expect(again.body.id).toBe(first.body.id);
          }
        }
      }),
    );
    const submitSeconds = (Date.now() - started) / 1000;
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(new Set(ids.values()).size).toBe(total);

    const client = new pg.Client({ connectionString: env['BUCKETLOAD_DATABASE_URL'] });
    await client.connect();
    try {
      const count = async () =>
        (
          await client.query<{ status: string; n: string }>(
            `select status, count(*) as n from jobs where idempotency_key like 'load-%' group by status`,
          )
        ).rows;
      const rows = await count();
      expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(total);
      const dup = await client.query(
        `select idempotency_key from jobs where idempotency_key like 'load-%' group by user_id, idempotency_key having count(*) > 1`,
      );
      expect(dup.rows).toEqual([]);

      const deadline = Date.now() + 240_000;
      let completed = 0;
      for (;;) {
        const now = await count();
        completed = Number(now.find((r) => r.status === 'completed')?.n ?? 0);
        const failed = Number(now.find((r) => r.status === 'failed')?.n ?? 0);
        expect(failed).toBe(0);
        if (completed === total || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const runSeconds = (Date.now() - started) / 1000;
      expect(completed).toBe(total);
      const files = await client.query<{ n: string }>(
        `select count(*) as n from job_files f join jobs j on j.id = f.job_id where j.idempotency_key like 'load-%'`,
      );
      expect(Number(files.rows[0]!.n)).toBe(total);
      latencies.sort((a, b) => a - b);
      const p = (q: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
      // Figures for the report (not assertions: the machine is shared).
      console.log(
        `[load] ${total} submissions (+${retried.size} retried) in ${submitSeconds.toFixed(1)} s = ${(total / submitSeconds).toFixed(0)}/s; ` +
          `latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; all ${total} completed after ${runSeconds.toFixed(1)} s ` +
          `(${(total / runSeconds).toFixed(1)} jobs/s with 2 workers × 2 slots)`,
      );
    } finally {
      await client.end();
    }
  }, 360_000);
});
