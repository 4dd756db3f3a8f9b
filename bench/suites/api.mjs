/**
 * (4) API submissions: `wrk` POSTs /v1/imports (a direct loopback URL, managed storage) against
 * `bucketload serve --no-workers`, on SQLite and on PostgreSQL, at several connection counts, after
 * a warm-up. Reported: requests/s, latency percentiles, non-2xx answers, the server's CPU per 1,000
 * submissions, and whether every accepted submission is in the jobs table afterwards.
 * Target: ≥ 2,000 submissions/s on SQLite with p99 ≤ 25 ms.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { processCpuSeconds, startServe } from '../lib/bucketload-server.mjs';
import { loadAverage } from '../lib/measure.mjs';
import { startPostgres } from '../lib/postgres.mjs';
import { fmt, markdownTable, textTable } from '../lib/report.mjs';

const execFileP = promisify(execFile);
const WARMUP_SECONDS = 3;
const TARGET_RPS = 2000;
const TARGET_P99_MS = 25;
/**
 * Submissions rotate over this many users (one key each): each user's queue stays a few hundred
 * jobs deep, as with many tenants. A second pass puts everything on one key, whose queue grows by
 * tens of thousands of jobs (nothing drains it): the per-user active-job check grows with it.
 */
const USERS = 100;

/** A wrk script that POSTs `body`, each request with the next of `keys` (round robin). */
function wrkScript(dir, keys, body) {
  const file = path.join(dir, 'post-import.lua');
  fs.writeFileSync(
    file,
    [
      `local keys = { ${keys.map((k) => JSON.stringify(k)).join(', ')} }`,
      `local body = ${JSON.stringify(JSON.stringify(body))}`,
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      '  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. keys[(n % #keys) + 1] }, body)',
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

/** `count` users with one API key each, made through the admin API. */
async function createUsers(server, count) {
  const keys = [];
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}`, createKey: true }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.json();
    if (response.status !== 201 || typeof body.apiKey !== 'string')
      throw new Error(`creating a user answered ${response.status}: ${JSON.stringify(body)}`);
    keys.push(body.apiKey);
  }
  return keys;
}

function parseDuration(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return NaN;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

/** Runs wrk and parses its summary (with --latency). */
export async function runWrk({ url, script, connections, seconds, threads = 1 }) {
  const { stdout } = await execFileP(
    'wrk',
    [
      '-t',
      String(Math.min(threads, connections)),
      '-c',
      String(connections),
      '-d',
      `${seconds}s`,
      '--timeout',
      '10s',
      '--latency',
      '-s',
      script,
      url,
    ],
    { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 20 },
  );
  const percentile = (p) => parseDuration(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = /Socket errors: (.+)/.exec(stdout)?.[1];
  return {
    requests,
    non2xx,
    socketErrors,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    stdout,
  };
}

async function measureDatabase(kind, users, ctx, pgCluster) {
  const { tmp, log, connections, duration } = ctx;
  const dataDir = fs.mkdtempSync(path.join(tmp, `api-${kind}-`));
  const databaseUrl =
    kind === 'postgresql' ? await pgCluster.createDatabase(`bench_api_${users}_${Date.now()}`) : undefined;
  const server = await startServe({ dataDir, databaseUrl });
  const rows = [];
  let accepted = 0;
  try {
    // A direct file on loopback into managed storage: nothing fetches it (no workers).
    const keys = users === 1 ? [server.key] : await createUsers(server, users);
    const script = wrkScript(dataDir, keys, {
      url: 'http://127.0.0.1:9/media/clip.mp4',
      destination: 'managed',
    });
    const target = `${server.url}/v1/imports`;
    const warm = await runWrk({ url: target, script, connections: connections[0], seconds: WARMUP_SECONDS });
    accepted += warm.requests - warm.non2xx;
    for (const c of connections) {
      const loadBefore = loadAverage();
      const cpuBefore = processCpuSeconds(server.pid);
      const r = await runWrk({ url: target, script, connections: c, seconds: duration });
      const cpu = processCpuSeconds(server.pid) - cpuBefore;
      accepted += r.requests - r.non2xx;
      const row = {
        database: kind,
        users,
        connections: c,
        rps: r.rps,
        p50: r.p50,
        p90: r.p90,
        p99: r.p99,
        non2xx: r.non2xx,
        socketErrors: r.socketErrors,
        serverCpuPer1000: (cpu / r.requests) * 1000,
        load: `${fmt(loadBefore, 1)}→${fmt(loadAverage(), 1)}`,
      };
      rows.push(row);
      log(
        `api ${kind} ${users} user(s) c=${c}: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, non-2xx ${r.non2xx}, server CPU ${fmt(row.serverCpuPer1000, 2)} s/1000, load ${row.load}`,
      );
    }
  } finally {
    await server.stop();
  }
  // Every accepted submission must be a row (wrk may stop with requests in flight: ≥ is fine).
  const persisted =
    kind === 'sqlite'
      ? (() => {
          const db = new Database(path.join(dataDir, 'bucketload.db'), { readonly: true });
          try {
            return db.prepare("select count(*) as n from jobs where kind = 'import'").get().n;
          } finally {
            db.close();
          }
        })()
      : Number(
          (await pgCluster.query(databaseUrl, "select count(*) as n from jobs where kind = 'import'")).rows[0]
            .n,
        );
  for (const row of rows) row.persisted = { accepted, persisted };
  return rows;
}

export async function runApi(ctx) {
  const databases = ['sqlite', 'postgresql'];
  const rows = [];
  const pgCluster = await startPostgres();
  try {
    for (const kind of databases) {
      for (const users of [USERS, 1]) rows.push(...(await measureDatabase(kind, users, ctx, pgCluster)));
    }
  } finally {
    await pgCluster.stop();
  }
  const sqlite = rows.filter((r) => r.database === 'sqlite' && r.users === USERS);
  const meeting = sqlite.filter((r) => r.rps >= TARGET_RPS && r.p99 <= TARGET_P99_MS);
  const notes = [
    meeting.length > 0
      ? `target met on SQLite at ${meeting.map((r) => `${r.connections} connections`).join(', ')} (≥ ${TARGET_RPS.toLocaleString('en-US')}/s with p99 ≤ ${TARGET_P99_MS} ms)`
      : `target MISSED on SQLite: no connection count gave ≥ ${TARGET_RPS.toLocaleString('en-US')}/s with p99 ≤ ${TARGET_P99_MS} ms`,
    ...databases.flatMap((kind) =>
      [USERS, 1].map((users) => {
        const p = rows.find((r) => r.database === kind && r.users === users)?.persisted;
        return p === undefined
          ? ''
          : `${kind}, ${users} user(s): ${p.accepted} submissions accepted (warm-up included), ${p.persisted} jobs in the table${p.persisted < p.accepted ? ' — LOST SUBMISSIONS' : ''}`;
      }),
    ),
  ].filter(Boolean);
  const columns = [
    { title: 'database', value: (r) => r.database },
    { title: 'users', value: (r) => String(r.users), right: true },
    { title: 'connections', value: (r) => String(r.connections), right: true },
    { title: 'submissions/s', value: (r) => fmt(r.rps, 0), right: true },
    { title: 'p50 ms', value: (r) => fmt(r.p50, 1), right: true },
    { title: 'p90 ms', value: (r) => fmt(r.p90, 1), right: true },
    { title: 'p99 ms', value: (r) => fmt(r.p99, 1), right: true },
    { title: 'non-2xx', value: (r) => String(r.non2xx), right: true },
    { title: 'server CPU s/1000', value: (r) => fmt(r.serverCpuPer1000, 2), right: true },
    { title: 'load 1m', value: (r) => r.load, right: true },
  ];
  const title = `POST /v1/imports under wrk (1 thread, ${ctx.duration} s per row after a ${WARMUP_SECONDS} s warm-up), serve --no-workers`;
  return {
    name: 'api',
    title,
    rows,
    text: `${title}\n${textTable(columns, rows)}\n${notes.map((n) => `  * ${n}`).join('\n')}`,
    markdown: `**${title}.** Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${markdownTable(columns, rows)}\n\n${notes.map((n) => `- ${n}`).join('\n')}`,
  };
}
