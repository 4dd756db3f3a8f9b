/**
 * Runs one command and measures it from outside, the same way for every tool: wall time from spawn
 * to exit, CPU (user + system) and peak RSS from `/usr/bin/time` (getrusage of the command and the
 * children it waited for), and the 1-minute load average before and after.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TIME = '/usr/bin/time';

export function loadAverage() {
  return Number(os.loadavg()[0].toFixed(2));
}

/** RSS in MiB of `pid` and its descendants (Linux /proc), 0 when gone. */
export function treeRssMiB(pid) {
  let kib = 0;
  const stack = [pid];
  for (let guard = 0; stack.length > 0 && guard < 1000; guard += 1) {
    const p = stack.pop();
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
      kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        const children = fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') stack.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // exited
    }
  }
  return kib / 1024;
}

/**
 * @param {{ command: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs: number, stdin?: string, sampleMs?: number }} run
 * @returns {Promise<{ ok: boolean, exitCode: number | null, wallSeconds: number, cpuSeconds: number, userSeconds: number, systemSeconds: number, maxRssMiB: number, stdout: string, stderr: string, loadBefore: number, loadAfter: number }>}
 */
export async function runMeasured(run) {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install -y time`);
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const loadBefore = loadAverage();
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-f', '%U %S %M', '-o', out, run.command, ...run.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: run.env ?? process.env,
    cwd: run.cwd,
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout = (stdout + c.toString('utf8')).slice(-200_000);
  });
  child.stderr.on('data', (c) => {
    stderr = (stderr + c.toString('utf8')).slice(-20_000);
  });
  child.stdin.on('error', () => {});
  child.stdin.end(run.stdin ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, run.timeoutMs);
  /** @type {Array<{ seconds: number, rssMiB: number }>} */
  const rssSamples = [];
  const sampler =
    run.sampleMs === undefined
      ? undefined
      : setInterval(() => {
          // The command's tree, without /usr/bin/time itself (a few MiB).
          const rss = treeRssMiB(child.pid) - (rssOfTime ??= treeRssOnly(child.pid));
          rssSamples.push({
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            rssMiB: Math.max(0, rss),
          });
        }, run.sampleMs);
  let rssOfTime;
  const killOnExit = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', killOnExit);
  const exitCode = await new Promise((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(timer);
  if (sampler !== undefined) clearInterval(sampler);
  process.off('exit', killOnExit);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const loadAfter = loadAverage();
  let userSeconds = NaN;
  let systemSeconds = NaN;
  let maxRssKiB = NaN;
  try {
    const line = fs.readFileSync(out, 'utf8').trim().split('\n').at(-1) ?? '';
    [userSeconds, systemSeconds, maxRssKiB] = line.split(/\s+/).map(Number);
  } catch {
    // killed before time wrote it
  }
  fs.rmSync(out, { force: true });
  if (timedOut) stderr += `\n[bench] killed after ${run.timeoutMs} ms`;
  return {
    ok: exitCode === 0 && !timedOut,
    exitCode,
    wallSeconds,
    userSeconds,
    systemSeconds,
    cpuSeconds: userSeconds + systemSeconds,
    maxRssMiB: maxRssKiB / 1024,
    stdout,
    stderr,
    loadBefore,
    loadAfter,
    rssSamples,
  };
}

function treeRssOnly(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
