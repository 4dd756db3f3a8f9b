/**
 * Runs the built `bucketload serve` / `bucketload worker` as helper processes with a benchmark's
 * environment: its own data dir, loopback egress allowed, limits raised so the load generator
 * measures the service rather than its per-key quotas.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startHelper, waitHttp } from './processes.mjs';
import { CLI } from './tools.mjs';

export function bucketloadEnv({ dataDir, databaseUrl, port, extra = {} }) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|BUCKETLOAD_)/.test(k)) env[k] = v;
  return {
    ...env,
    NODE_NO_WARNINGS: '1',
    BUCKETLOAD_DATA_DIR: dataDir,
    ...(databaseUrl === undefined ? {} : { BUCKETLOAD_DATABASE_URL: databaseUrl }),
    ...(port === undefined ? {} : { BUCKETLOAD_PORT: String(port) }),
    BUCKETLOAD_MASTER_KEY: '42'.repeat(32),
    BUCKETLOAD_EGRESS_ALLOW: '127.0.0.1',
    // The per-key quotas (600/min, 100 active jobs) would answer 429 within a second of load.
    BUCKETLOAD_RATE_LIMIT_PER_MINUTE: '10000000',
    BUCKETLOAD_MAX_ACTIVE_JOBS_PER_USER: '1000000',
    ...extra,
  };
}

/** `bucketload serve` (API only unless `workers`); resolves with its URL and the bootstrap API key. */
export async function startServe({ dataDir, databaseUrl, workers = false, extra, nodeArgs = [] }) {
  const port = await freePort();
  const env = bucketloadEnv({ dataDir, databaseUrl, port, extra });
  const helper = startHelper(
    'bucketload serve',
    process.execPath,
    [...nodeArgs, CLI, 'serve', ...(workers ? [] : ['--no-workers'])],
    { env, cwd: dataDir },
  );
  let stderr = '';
  helper.child.stderr.on('data', (c) => {
    stderr += c.toString('utf8');
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, helper, 60_000);
  let key;
  for (let i = 0; i < 50 && key === undefined; i += 1) {
    key = /\b(bl_[A-Za-z0-9_-]{43,})\b/.exec(stderr)?.[1];
    if (key === undefined) await sleep(100);
  }
  if (key === undefined) throw new Error(`no API key in the output of serve: ${helper.output()}`);
  return { url, key, pid: helper.pid, helper, stop: () => helper.stop(15_000) };
}

export function startWorker({ dataDir, databaseUrl, concurrency, extra, nodeArgs = [] }) {
  const env = bucketloadEnv({ dataDir, databaseUrl, extra });
  return startHelper(
    'bucketload worker',
    process.execPath,
    [...nodeArgs, CLI, 'worker', '--concurrency', String(concurrency), '--grace', '5'],
    {
      env,
      cwd: dataDir,
    },
  );
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, 100 ticks/s; 0 when gone). */
export function processCpuSeconds(pid) {
  try {
    // After "pid (comm) ", utime and stime (fields 14 and 15) are at 11 and 12.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
