/**
 * (5) Jobs per second through the queue on PostgreSQL: `bucketload worker` processes (1, 2 and 4,
 * one claim loop each; then one process with 4 loops) run tiny real jobs — a 4 KiB direct file from
 * a loopback origin into managed storage (local dir) — through the whole pipeline: claim (FOR
 * UPDATE SKIP LOCKED), egress-checked GET, streaming store with SHA-256, complete. The workers
 * start first and idle; then the API (serve --no-workers, same database) takes the submissions,
 * and the rate is measured from the first claim to the last completion (database timestamps), so
 * process start-up is not counted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuSeconds, startServe, startWorker } from '../lib/bucketload-server.mjs';
import { loadAverage } from '../lib/measure.mjs';
import { startPostgres } from '../lib/postgres.mjs';
import { fmt, markdownTable, median, textTable } from '../lib/report.mjs';
import { startSource } from '../lib/source.mjs';

const CONFIGS = [
  { processes: 1, concurrency: 1 },
  { processes: 2, concurrency: 1 },
  { processes: 4, concurrency: 1 },
  { processes: 1, concurrency: 4 },
];
const TINY_BYTES = 4096;

async function submit(server, url, count, parallel = 16) {
  let next = 0;
  let failed = 0;
  const one = async () => {
    while (next < count) {
      next += 1;
      const response = await fetch(`${server.url}/v1/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, destination: 'managed' }),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      if (response.status !== 202) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  if (failed > 0) throw new Error(`${failed} of ${count} submissions were refused`);
}

async function waitReady(worker, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (worker.output().includes('bucketload worker started')) return;
    if (worker.exited()) throw new Error(`worker exited: ${worker.output()}`);
    await sleep(100);
  }
  throw new Error(`worker not ready within ${timeoutMs} ms: ${worker.output()}`);
}

export async function runQueue(ctx) {
  const { tmp, log, jobs } = ctx;
  const sourceDir = fs.mkdtempSync(path.join(tmp, 'queue-source-'));
  fs.writeFileSync(path.join(sourceDir, 'tiny.bin'), Buffer.alloc(TINY_BYTES, 7));
  const source = await startSource(sourceDir);
  const pgCluster = await startPostgres();
  const rows = [];
  try {
    for (const config of CONFIGS) {
      const dataDir = fs.mkdtempSync(path.join(tmp, 'queue-'));
      const databaseUrl = await pgCluster.createDatabase(
        `bench_queue_${config.processes}x${config.concurrency}_${Date.now()}`,
      );
      // The API first: it migrates the database and makes the first user and key.
      const server = await startServe({ dataDir, databaseUrl });
      const workers = [];
      try {
        for (let i = 0; i < config.processes; i += 1)
          workers.push(startWorker({ dataDir, databaseUrl, concurrency: config.concurrency }));
        await Promise.all(workers.map((w) => waitReady(w)));
        const cpuBefore = workers.map((w) => processCpuSeconds(w.pid));
        const loadBefore = loadAverage();
        await submit(server, source.url('tiny.bin'), jobs);
        const until = Date.now() + Math.max(120_000, jobs * 1000);
        let done = 0;
        while (Date.now() < until) {
          const { rows: counts } = await pgCluster.query(
            databaseUrl,
            "select count(*)::int as n from jobs where kind = 'import' and status in ('completed', 'failed', 'canceled')",
          );
          done = counts[0].n;
          if (done >= jobs) break;
          await sleep(200);
        }
        const workerCpu = workers.reduce((sum, w, i) => sum + processCpuSeconds(w.pid) - cpuBefore[i], 0);
        const loadAfter = loadAverage();
        const { rows: stats } = await pgCluster.query(
          databaseUrl,
          `select status, count(*)::int as n, min(started_at)::float8 as first, max(finished_at)::float8 as last,
                  sum(attempts)::int as attempts
             from jobs where kind = 'import' group by status`,
        );
        const { rows: durations } = await pgCluster.query(
          databaseUrl,
          "select (finished_at - started_at)::float8 as ms from jobs where status = 'completed'",
        );
        const completed = stats.find((s) => s.status === 'completed');
        const failed = stats.filter((s) => s.status !== 'completed').reduce((a, s) => a + s.n, 0);
        const windowSeconds =
          completed === undefined
            ? NaN
            : (completed.last - Math.min(...stats.map((s) => s.first).filter(Number.isFinite))) / 1000;
        const ms = durations.map((d) => d.ms).sort((a, b) => a - b);
        const row = {
          label: `${config.processes} × ${config.concurrency}`,
          workers: config.processes * config.concurrency,
          ...config,
          jobs,
          completed: completed?.n ?? 0,
          failed,
          finished: done >= jobs,
          retries: (completed?.attempts ?? 0) - (completed?.n ?? 0),
          jobsPerSecond: (completed?.n ?? 0) / windowSeconds,
          p50Ms: median(ms),
          p95Ms: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.95))],
          workerCpuPerJobMs: (workerCpu / jobs) * 1000,
          load: `${fmt(loadBefore, 1)}→${fmt(loadAfter, 1)}`,
        };
        rows.push(row);
        log(
          `queue ${row.label}: ${row.completed}/${jobs} completed, ${fmt(row.jobsPerSecond, 1)} jobs/s, job p50 ${fmt(row.p50Ms, 0)} ms, worker CPU ${fmt(row.workerCpuPerJobMs, 1)} ms/job, load ${row.load}`,
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop(15_000)));
        await server.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await pgCluster.stop();
    await source.stop();
  }
  const columns = [
    { title: 'processes × loops', value: (r) => r.label },
    { title: 'jobs', value: (r) => `${r.completed}/${r.jobs}`, right: true },
    { title: 'failed', value: (r) => String(r.failed), right: true },
    { title: 'jobs/s', value: (r) => fmt(r.jobsPerSecond, 1), right: true },
    { title: 'job p50 ms', value: (r) => fmt(r.p50Ms, 0), right: true },
    { title: 'job p95 ms', value: (r) => fmt(r.p95Ms, 0), right: true },
    { title: 'worker CPU ms/job', value: (r) => fmt(r.workerCpuPerJobMs, 1), right: true },
    { title: 'load 1m', value: (r) => r.load, right: true },
  ];
  const title = `Jobs through the queue on PostgreSQL: ${jobs} tiny direct imports (${TINY_BYTES / 1024} KiB, loopback → managed storage) per row`;
  const notes = rows
    .filter((r) => !r.finished || r.failed > 0)
    .map(
      (r) =>
        `${r.label}: ${r.completed} completed, ${r.failed} failed or canceled${r.finished ? '' : ' (timed out)'}`,
    );
  return {
    name: 'queue',
    title,
    rows,
    text: `${title}\n${textTable(columns, rows)}${notes.length ? `\n${notes.map((n) => `  * ${n}`).join('\n')}` : ''}`,
    markdown: `**${title}.** Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${markdownTable(columns, rows)}${notes.length ? `\n\n${notes.map((n) => `- ${n}`).join('\n')}` : ''}`,
  };
}
