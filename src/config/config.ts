import path from 'node:path';
import type { Rendition } from '../media/rendition-ladder.js';
import { parseRenditionTable } from '../media/rendition-table.js';
import { parseEgressAllow } from '../security/egress/egress-allow.js';

/**
 * The only module that reads `process.env`. `loadConfig` validates every BUCKETLOAD_* variable,
 * collects every problem at once, and returns a frozen typed object (or throws ConfigError listing
 * all of them) so a misconfigured deployment fails at start with one readable message.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ManagedS3Config {
  readonly bucket: string;
  readonly prefix: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** From `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (required with an s3:// managed storage). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `sqlite:///abs/path.db` or `postgres://…`; the default is a SQLite file in the data dir. */
  readonly databaseUrl: string;
  readonly managedStorage:
    { readonly kind: 'local'; readonly dir: string } | ({ readonly kind: 's3' } & ManagedS3Config);
  readonly publicUrl: string;
  readonly masterKey: string | undefined;
  readonly workerConcurrency: number;
  readonly egressAllow: string | undefined;
  readonly ytdlpPath: string;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly maxFileBytes: number;
  /** Longest media (seconds) a job may deliver; undefined: no limit. */
  readonly maxDurationSeconds: number | undefined;
  /** HLS/DASH rendition table (`name:height:videoKbps:audioKbps,…`); undefined: the built-in one. */
  readonly renditions: readonly Rendition[] | undefined;
  readonly logLevel: LogLevel;
  readonly corsOrigins: readonly string[];
  readonly maxActiveJobsPerUser: number;
  readonly rateLimitPerMinute: number;
  /** Failed authentications per client address per minute before 401s turn into 429s. */
  readonly authFailuresPerMinute: number;
  readonly leaseSeconds: number;
  readonly maxAttempts: number;
  /** First webhook retry delay; each later one is 4× longer, capped at 6 h. */
  readonly webhookBackoffSeconds: number;
  /** Webhook delivery attempts before a delivery is marked failed. */
  readonly webhookMaxAttempts: number;
  /**
   * The standard AWS variables as given (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` or
   * `AWS_ENDPOINT_URL`): the defaults of `bucketload import --to s3://…` and `destinations test`.
   */
  readonly aws: AwsEnvironment;
}

export interface AwsEnvironment {
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly sessionToken: string | undefined;
  readonly region: string | undefined;
  readonly endpointUrl: string | undefined;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    const value = Number(raw);
    if (value < min || value > max) problems.push(`${name} must be between ${min} and ${max} (got ${value})`);
    return value;
  };

  const host = str('BUCKETLOAD_HOST') ?? '127.0.0.1';
  const port = int('BUCKETLOAD_PORT', 8080, 0, 65535);
  const dataDir = path.resolve(cwd, str('BUCKETLOAD_DATA_DIR') ?? './data');

  const rawDb = str('BUCKETLOAD_DATABASE_URL');
  let databaseUrl = `sqlite://${path.join(dataDir, 'bucketload.db')}`;
  if (rawDb !== undefined) {
    if (/^postgres(ql)?:\/\//.test(rawDb)) databaseUrl = rawDb;
    else if (rawDb.startsWith('sqlite://'))
      databaseUrl = `sqlite://${path.resolve(cwd, rawDb.slice('sqlite://'.length))}`;
    else problems.push('BUCKETLOAD_DATABASE_URL must start with postgres:// or sqlite://');
  }

  let managedStorage: Config['managedStorage'] = { kind: 'local', dir: path.join(dataDir, 'objects') };
  const rawManaged = str('BUCKETLOAD_MANAGED_STORAGE');
  if (rawManaged !== undefined) {
    const parsed = parseManagedStorage(rawManaged, cwd, {
      accessKeyId: str('AWS_ACCESS_KEY_ID') ?? '',
      secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '',
    });
    if (typeof parsed === 'string') problems.push(parsed);
    else managedStorage = parsed;
  }

  const rawPublicUrl = str('BUCKETLOAD_PUBLIC_URL');
  let publicUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (rawPublicUrl !== undefined) {
    try {
      const url = new URL(rawPublicUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
      publicUrl = url.toString().replace(/\/$/, '');
    } catch {
      problems.push(`BUCKETLOAD_PUBLIC_URL must be an absolute http(s) URL (got "${rawPublicUrl}")`);
    }
  }

  const masterKey = str('BUCKETLOAD_MASTER_KEY');
  if (masterKey !== undefined && !isValidMasterKey(masterKey)) {
    problems.push('BUCKETLOAD_MASTER_KEY must be 32 bytes, as 64 hex characters or base64');
  }

  const rawLevel = str('BUCKETLOAD_LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === rawLevel);
  if (logLevel === undefined)
    problems.push(`BUCKETLOAD_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);

  const maxFileBytes = int('BUCKETLOAD_MAX_FILE_BYTES', 50 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER);
  const maxDurationSeconds =
    str('BUCKETLOAD_MAX_DURATION_SECONDS') === undefined
      ? undefined
      : int('BUCKETLOAD_MAX_DURATION_SECONDS', 0, 1, 10_000_000);
  const rawRenditions = str('BUCKETLOAD_RENDITIONS');
  const parsedRenditions = rawRenditions === undefined ? undefined : parseRenditionTable(rawRenditions);
  if (typeof parsedRenditions === 'string') problems.push(parsedRenditions);
  const corsOrigins = (str('BUCKETLOAD_CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

  const egressAllow = str('BUCKETLOAD_EGRESS_ALLOW');
  problems.push(...parseEgressAllow(egressAllow).errors);

  const config: Config = {
    host,
    port,
    dataDir,
    databaseUrl,
    managedStorage,
    publicUrl,
    masterKey,
    workerConcurrency: int('BUCKETLOAD_WORKER_CONCURRENCY', 2, 0, 256),
    egressAllow,
    ytdlpPath: str('BUCKETLOAD_YTDLP_PATH') ?? 'yt-dlp',
    ffmpegPath: str('BUCKETLOAD_FFMPEG_PATH') ?? 'ffmpeg',
    ffprobePath: str('BUCKETLOAD_FFPROBE_PATH') ?? 'ffprobe',
    maxFileBytes,
    maxDurationSeconds,
    renditions: typeof parsedRenditions === 'string' ? undefined : parsedRenditions,
    logLevel: logLevel ?? 'info',
    corsOrigins,
    maxActiveJobsPerUser: int('BUCKETLOAD_MAX_ACTIVE_JOBS_PER_USER', 100, 1, 1_000_000),
    rateLimitPerMinute: int('BUCKETLOAD_RATE_LIMIT_PER_MINUTE', 600, 1, 10_000_000),
    authFailuresPerMinute: int('BUCKETLOAD_AUTH_FAILURES_PER_MINUTE', 60, 1, 10_000_000),
    leaseSeconds: int('BUCKETLOAD_LEASE_SECONDS', 30, 2, 3600),
    maxAttempts: int('BUCKETLOAD_MAX_ATTEMPTS', 3, 1, 20),
    webhookBackoffSeconds: int('BUCKETLOAD_WEBHOOK_BACKOFF_SECONDS', 10, 1, 3600),
    webhookMaxAttempts: int('BUCKETLOAD_WEBHOOK_MAX_ATTEMPTS', 8, 1, 30),
    aws: Object.freeze({
      accessKeyId: str('AWS_ACCESS_KEY_ID'),
      secretAccessKey: str('AWS_SECRET_ACCESS_KEY'),
      sessionToken: str('AWS_SESSION_TOKEN'),
      region: str('AWS_REGION') ?? str('AWS_DEFAULT_REGION'),
      endpointUrl: str('AWS_ENDPOINT_URL_S3') ?? str('AWS_ENDPOINT_URL'),
    }),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function isValidMasterKey(value: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return true;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32;
}

/** `s3://bucket/prefix?endpoint=URL&region=R&forcePathStyle=true`, or `file:///dir` / a plain path. */
export function parseManagedStorage(
  raw: string,
  cwd: string,
  credentials: ManagedS3Config['credentials'] = { accessKeyId: '', secretAccessKey: '' },
): Config['managedStorage'] | string {
  if (!raw.startsWith('s3://')) {
    const dir = raw.startsWith('file://') ? raw.slice('file://'.length) : raw;
    return { kind: 'local', dir: path.resolve(cwd, dir) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `BUCKETLOAD_MANAGED_STORAGE is not a valid s3:// URL (got "${raw}")`;
  }
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    return `BUCKETLOAD_MANAGED_STORAGE has an invalid bucket name "${bucket}"`;
  }
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    return 'BUCKETLOAD_MANAGED_STORAGE endpoint must be an http(s) URL';
  }
  if (credentials.accessKeyId === '' || credentials.secretAccessKey === '') {
    return 'BUCKETLOAD_MANAGED_STORAGE on s3:// needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  }
  return {
    kind: 's3',
    bucket,
    prefix: url.pathname.replace(/^\/+|\/+$/g, ''),
    endpoint,
    region: url.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: url.searchParams.get('forcePathStyle') === 'true',
    credentials,
  };
}
