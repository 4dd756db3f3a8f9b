import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { createRuntime } from '../app/runtime.js';
import type { Config } from '../config/config.js';
import { AppError, toError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../db/database.js';
import { DestinationRepository } from '../db/destination.repository.js';
import { createMigrator } from '../db/migrate.js';
import type { ProcessRunner } from '../media/process-runner.js';
import { CLOUD_METADATA_ADDRESSES, parseEgressAllow } from '../security/egress/index.js';
import { loadSecretBox, type SecretBox } from '../security/secret-box.js';
import { secretAad } from '../storage/destinations/destination.service.js';

/** One line of `bucketload doctor`: ok, a warning (works, but worth fixing), or a failure. */
export interface CheckResult {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly summary: string;
  /** What to do about a warning or a failure. */
  readonly fix?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

const TOOL_TIMEOUT_MS = 15_000;
const DB_TIMEOUT_MS = 8_000;
const STORAGE_TIMEOUT_MS = 20_000;
const YTDLP_MAX_AGE_DAYS = 180;
const MIN_FREE_BYTES = 1024 ** 3;

interface ToolSpec {
  readonly name: 'yt-dlp' | 'ffmpeg' | 'ffprobe';
  readonly command: string;
  readonly variable: string;
  readonly args: readonly string[];
  readonly apt: string;
}

export function toolSpecs(config: Config): ToolSpec[] {
  return [
    {
      name: 'yt-dlp',
      command: config.ytdlpPath,
      variable: 'BUCKETLOAD_YTDLP_PATH',
      args: ['--version'],
      apt: 'yt-dlp',
    },
    {
      name: 'ffmpeg',
      command: config.ffmpegPath,
      variable: 'BUCKETLOAD_FFMPEG_PATH',
      args: ['-hide_banner', '-version'],
      apt: 'ffmpeg',
    },
    {
      name: 'ffprobe',
      command: config.ffprobePath,
      variable: 'BUCKETLOAD_FFPROBE_PATH',
      args: ['-hide_banner', '-version'],
      apt: 'ffmpeg',
    },
  ];
}

/** Runs the tool's version command (through the process runner, bounded) and reads its version. */
export async function checkTool(
  runner: ProcessRunner,
  spec: ToolSpec,
  now: Date = new Date(),
): Promise<CheckResult> {
  const where = resolveCommand(spec.command);
  const fix = `Install it (sudo apt-get install -y ${spec.apt}) or set ${spec.variable} to its full path.`;
  let result;
  try {
    result = await runner.run(spec.command, spec.args, {
      signal: AbortSignal.timeout(TOOL_TIMEOUT_MS),
      maxStdoutBytes: 64 * 1024,
    });
  } catch (error) {
    const reason =
      error instanceof AppError && error.code === 'TOOL_MISSING'
        ? 'not found or not executable'
        : toError(error).message;
    return { name: spec.name, status: 'fail', summary: `cannot run "${spec.command}": ${reason}`, fix };
  }
  if (result.exitCode !== 0) {
    const tail = result.stderr.trim().split('\n').at(-1) ?? '';
    return {
      name: spec.name,
      status: 'fail',
      summary: `"${spec.command} ${spec.args.join(' ')}" exited with ${result.exitCode ?? result.exitSignal}: ${tail}`,
      fix,
    };
  }
  const firstLine = result.stdout.trim().split('\n')[0] ?? '';
  const version =
    spec.name === 'yt-dlp' ? firstLine.trim() : (/version\s+(\S+)/.exec(firstLine)?.[1] ?? 'unknown');
  const details = { version, path: where ?? spec.command };
  const summary = `${version} (${where ?? spec.command})`;
  if (spec.name === 'yt-dlp') {
    const released = /^(\d{4})\.(\d{2})\.(\d{2})/.exec(version);
    if (released !== null) {
      const age = Math.floor(
        (now.getTime() - Date.UTC(Number(released[1]), Number(released[2]) - 1, Number(released[3]))) /
          86_400_000,
      );
      if (age > YTDLP_MAX_AGE_DAYS) {
        return {
          name: spec.name,
          status: 'warn',
          summary: `${summary}, released ${age} days ago`,
          fix: `Sites change often and old extractors break: install a current yt-dlp (e.g. pipx install yt-dlp) and set ${spec.variable} to it.`,
          details: { ...details, ageDays: age },
        };
      }
    }
  }
  if (spec.name === 'ffmpeg') {
    const encoders = await runner
      .run(spec.command, ['-hide_banner', '-encoders'], { signal: AbortSignal.timeout(TOOL_TIMEOUT_MS) })
      .then((r) => r.stdout)
      .catch(() => '');
    const missing = ['libx264', 'aac'].filter((name) => !new RegExp(`\\s${name}\\s`).test(encoders));
    if (missing.length > 0) {
      return {
        name: spec.name,
        status: 'warn',
        summary: `${summary}, without the ${missing.join(' and ')} encoder(s)`,
        fix: 'Video conversion and HLS/DASH outputs need libx264 and aac: install a full ffmpeg build (Debian: apt-get install ffmpeg).',
        details: { ...details, missingEncoders: missing },
      };
    }
  }
  return { name: spec.name, status: 'ok', summary, details };
}

/** The database answers and every migration this build knows is applied. */
export async function checkDatabase(config: Config, database: Database): Promise<CheckResult> {
  const where = describeDatabase(config.databaseUrl);
  try {
    await withTimeout(database.ping(), DB_TIMEOUT_MS, 'no answer');
  } catch (error) {
    return {
      name: 'database',
      status: 'fail',
      summary: `${where}: cannot connect (${toError(error).message})`,
      fix: config.databaseUrl.startsWith('sqlite://')
        ? 'Check that the data dir (BUCKETLOAD_DATA_DIR) is on a writable local disk.'
        : 'Check BUCKETLOAD_DATABASE_URL (host, port, user, password, database) and that PostgreSQL is running.',
    };
  }
  const migrations = await createMigrator(database.db).getMigrations();
  const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
  if (pending.length > 0) {
    return {
      name: 'database',
      status: 'warn',
      summary: `${where}: reachable, ${pending.length} migration(s) not applied yet`,
      fix: 'Run `bucketload migrate` (serve and worker also apply them when they start).',
      details: { pending },
    };
  }
  return {
    name: 'database',
    status: 'ok',
    summary: `${where}: reachable, ${migrations.length} migration(s) applied`,
    details: { migrations: migrations.length },
  };
}

export async function checkDataDir(config: Config): Promise<CheckResult> {
  const problem = await writableDir(config.dataDir);
  if (problem !== undefined) {
    return {
      name: 'data dir',
      status: 'fail',
      summary: `${config.dataDir}: ${problem}`,
      fix: 'Set BUCKETLOAD_DATA_DIR to a directory this user can write.',
    };
  }
  return { name: 'data dir', status: 'ok', summary: `${config.dataDir} is writable` };
}

/** Local managed storage: a writable dir with room; S3 managed storage: a small put and delete. */
export async function checkManagedStorage(config: Config, logger: Logger): Promise<CheckResult> {
  const managed = config.managedStorage;
  if (managed.kind === 'local') {
    const problem = await writableDir(managed.dir);
    if (problem !== undefined) {
      return {
        name: 'managed storage',
        status: 'fail',
        summary: `${managed.dir}: ${problem}`,
        fix: 'Make the directory writable, or set BUCKETLOAD_MANAGED_STORAGE to another one.',
      };
    }
    const stats = await fsp.statfs(managed.dir).catch(() => undefined);
    const free = stats === undefined ? undefined : stats.bavail * stats.bsize;
    const summary = `local ${managed.dir}${free === undefined ? '' : `, ${(free / 1024 ** 3).toFixed(1)} GiB free`}`;
    if (free !== undefined && free < MIN_FREE_BYTES) {
      return {
        name: 'managed storage',
        status: 'warn',
        summary,
        fix: 'Less than 1 GiB is free: imports into managed storage may fail; free some space or move the storage.',
        details: { freeBytes: free },
      };
    }
    return {
      name: 'managed storage',
      status: 'ok',
      summary,
      ...(free === undefined ? {} : { details: { freeBytes: free } }),
    };
  }
  const where = `s3://${managed.bucket}/${managed.prefix}`;
  let runtime;
  try {
    runtime = await createRuntime(config, logger, { migrate: false });
    const store = runtime.services.storage.managedStore('doctor');
    const key = `.bucketload-doctor-${randomBytes(6).toString('hex')}.txt`;
    const body = Buffer.from('bucketload doctor: safe to delete\n');
    const signal = AbortSignal.timeout(STORAGE_TIMEOUT_MS);
    await store.put({
      key,
      body: Readable.from([body]),
      contentType: 'text/plain',
      contentLength: body.length,
      signal,
    });
    await store.delete(key);
    return {
      name: 'managed storage',
      status: 'ok',
      summary: `${where}${managed.endpoint === undefined ? '' : ` at ${managed.endpoint}`}: put and delete work`,
    };
  } catch (error) {
    const app = error instanceof AppError ? error : undefined;
    return {
      name: 'managed storage',
      status: 'fail',
      summary: `${where}: ${app === undefined ? toError(error).message : `${app.code}: ${app.message}`}`,
      fix:
        app?.hint ??
        'Check BUCKETLOAD_MANAGED_STORAGE and the AWS_* credentials, and that the bucket exists.',
    };
  } finally {
    await runtime?.close().catch(() => undefined);
  }
}

/** What the egress policy lets through, and rules that open more than they probably should. */
export function checkEgress(config: Config): CheckResult {
  const { rules } = parseEgressAllow(config.egressAllow);
  if (rules.length === 0) {
    return {
      name: 'egress',
      status: 'ok',
      summary: 'public addresses only (nothing private is allow-listed)',
      details: { allow: [] },
    };
  }
  const shown = rules.map((rule) =>
    rule.kind === 'host'
      ? `${rule.host}:${rule.port}`
      : rule.port === undefined
        ? `${rule.cidr} (any port)`
        : `${rule.cidr} port ${rule.port}`,
  );
  const worries: string[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'cidr') continue;
    const [network, prefix] = parseCidr(rule.cidr);
    if (network === undefined) continue;
    if (prefix === 0) worries.push(`${rule.source} allows every address, private networks included`);
    for (const metadata of CLOUD_METADATA_ADDRESSES) {
      const address = ipaddr.parse(metadata);
      if (
        address.kind() === network.kind() &&
        address.match(network, prefix) &&
        prefix === (network.kind() === 'ipv4' ? 32 : 128)
      ) {
        worries.push(
          `${rule.source} names the cloud metadata address ${metadata}: a crafted URL could read instance credentials`,
        );
      }
    }
  }
  const summary = `public addresses, and ${shown.join(', ')}`;
  if (worries.length > 0) {
    return {
      name: 'egress',
      status: 'warn',
      summary,
      fix: `${worries.join('; ')}. Narrow BUCKETLOAD_EGRESS_ALLOW to the hosts you need.`,
      details: { allow: shown },
    };
  }
  return { name: 'egress', status: 'ok', summary, details: { allow: shown } };
}

/**
 * The master key (where it comes from, the key file's permissions) and the destination secrets it
 * protects: all readable, and all under the current key (else `master-key rotate`).
 */
export async function checkMasterKey(config: Config, database: Database | undefined): Promise<CheckResult> {
  const file = path.join(config.dataDir, 'master.key');
  const fileExists = fs.existsSync(file);
  let box: SecretBox | undefined;
  try {
    if (config.masterKey !== undefined || fileExists) box = loadSecretBox(config.dataDir, config.masterKey);
  } catch (error) {
    return {
      name: 'master key',
      status: 'fail',
      summary: `${file} cannot be read: ${toError(error).message}`,
      fix: 'The key file holds one 64-hex-character key per line; restore it from your backup.',
    };
  }
  const source =
    config.masterKey !== undefined
      ? 'BUCKETLOAD_MASTER_KEY'
      : fileExists
        ? file
        : 'not created yet (made on first start)';
  const problems: string[] = [];
  const fixes: string[] = [];
  let failed = false;
  if (fileExists) {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      problems.push(`the key file is readable by others (mode ${mode.toString(8)})`);
      fixes.push(`chmod 600 ${file}`);
    }
  }
  let counts = { total: 0, current: 0, older: 0, unreadable: 0 };
  if (database !== undefined) {
    const rows = await new DestinationRepository(database.db).listAll().catch(() => []);
    counts = { total: rows.length, current: 0, older: 0, unreadable: 0 };
    for (const row of rows) {
      try {
        if (box === undefined) throw new Error('no master key');
        box.open(row.secret_enc, secretAad(row.user_id, row.id));
        if (box.keyIdOf(row.secret_enc) === box.currentKeyId) counts.current += 1;
        else counts.older += 1;
      } catch {
        counts.unreadable += 1;
      }
    }
    if (counts.unreadable > 0) {
      failed = true;
      problems.push(`${counts.unreadable} destination secret(s) cannot be decrypted with the keys at hand`);
      fixes.push(
        `put the master key they were sealed with back (BUCKETLOAD_MASTER_KEY, or a line in ${file})`,
      );
    }
    if (counts.older > 0) {
      problems.push(`${counts.older} destination secret(s) are sealed with an older key`);
      fixes.push('run `bucketload master-key rotate` to re-encrypt them');
    }
  }
  const summary = `${source}${box === undefined ? '' : ` (key id ${box.currentKeyId})`}; ${counts.total} destination secret(s)${problems.length > 0 ? `; ${problems.join('; ')}` : ''}`;
  const status = failed ? 'fail' : problems.length > 0 ? 'warn' : 'ok';
  return {
    name: 'master key',
    status,
    summary,
    ...(fixes.length > 0 ? { fix: `${fixes.join('; ')}.` } : {}),
    details: { source: config.masterKey !== undefined ? 'environment' : 'key-file', secrets: counts },
  };
}

function parseCidr(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6 | undefined, number] {
  try {
    if (!cidr.includes('/')) {
      const address = ipaddr.parse(cidr);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    }
    return ipaddr.parseCIDR(cidr);
  } catch {
    return [undefined, 0];
  }
}

async function writableDir(dir: string): Promise<string | undefined> {
  try {
    await fsp.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.bucketload-doctor-${randomBytes(6).toString('hex')}`);
    await fsp.writeFile(probe, 'ok', { flag: 'wx' });
    await fsp.rm(probe, { force: true });
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'not writable'
      : toError(error).message;
  }
}

/** An explicit path that does not exist is named as such (a bare name is looked up on PATH by the runner). */
function resolveCommand(command: string): string | undefined {
  if (!command.includes('/')) return undefined;
  return fs.existsSync(command) ? path.resolve(command) : undefined;
}

function describeDatabase(url: string): string {
  if (url.startsWith('sqlite://')) return `SQLite ${url.slice('sqlite://'.length)}`;
  try {
    const parsed = new URL(url);
    return `PostgreSQL ${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}${parsed.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
