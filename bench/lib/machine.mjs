/**
 * What the figures were measured on: cores, memory, CPU model, kernel, Node and the version of
 * every tool and server in the comparison, plus the load average (other work on the machine).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { loadAverage } from './measure.mjs';

const require = createRequire(import.meta.url);

function tryRun(command, args, pick = (s) => s.trim().split('\n')[0]) {
  try {
    const out = execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      env: { ...process.env, AWS_CA_BUNDLE: '' },
    });
    return pick(out) || undefined;
  } catch (error) {
    const text = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    return text.trim() === '' ? undefined : pick(text);
  }
}

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** The real aws-cli entry point (not pyenv's shell shim, whose own CPU would be counted). */
export function awsCommand() {
  const viaPyenv = tryRun('pyenv', ['which', 'aws']);
  if (viaPyenv !== undefined && viaPyenv.startsWith('/') && fs.existsSync(viaPyenv)) return viaPyenv;
  return tryRun('sh', ['-c', 'command -v aws']) ?? 'aws';
}

export function cpuModel() {
  const lscpu = tryRun('lscpu', [], (s) => /Model name:\s*(.+)/.exec(s)?.[1]);
  return lscpu ?? os.cpus()[0]?.model ?? 'unknown';
}

export function describeMachine() {
  const pg = fs.existsSync('/usr/lib/postgresql')
    ? fs.readdirSync('/usr/lib/postgresql').sort().at(-1)
    : undefined;
  return {
    date: new Date().toISOString(),
    nproc: Number(tryRun('nproc', []) ?? os.cpus().length),
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    cpu: cpuModel(),
    kernel: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    load1: loadAverage(),
    versions: {
      node: process.version,
      'aws-sdk (lib-storage)': packageVersion('@aws-sdk/lib-storage'),
      'aws-cli': tryRun(awsCommand(), ['--version']),
      rclone: tryRun('rclone', ['version']),
      s3cmd: tryRun('s3cmd', ['--version']),
      curl: tryRun('curl', ['--version'], (s) => s.split('\n')[0].split(' ')[1]),
      s3rver: packageVersion('s3rver'),
      moto: tryRun('python3', ['-c', 'import moto; print(moto.__version__)']),
      wrk: tryRun('wrk', ['--version'], (s) => s.split('\n')[0].split(' Copyright')[0]),
      postgresql:
        pg === undefined
          ? undefined
          : tryRun(`/usr/lib/postgresql/${pg}/bin/postgres`, ['--version'], (s) => /\d+\.\d+/.exec(s)?.[0]),
      'better-sqlite3': packageVersion('better-sqlite3'),
    },
  };
}
