import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

// Real S3-compatible servers for integration tests, on 127.0.0.1 and free ports:
// - moto (Python, in the image): faithful multipart, ListMultipartUploads, optional IAM enforcement;
// - s3rver (npm): fast, lenient (any secret for a known key id, no AbortMultipartUpload).
// Each start owns its process and temp dir; `stop()` ends them, and an exit hook kills whatever a
// crashed run left. See shared/TEST-INFRA.md for the servers' measured quirks.

export interface StoredTestObject {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly metadata: Record<string, string>;
}

export interface S3TestServer {
  readonly name: 'moto' | 's3rver';
  readonly endpoint: string;
  readonly region: 'us-east-1';
  /** Credentials that may do everything (moto with enforcement: an IAM admin made at start). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Creates a bucket (a random `bl-…` name when none is given) and returns its name. */
  createBucket(name?: string): Promise<string>;
  listObjects(bucket: string, prefix?: string): Promise<Array<{ key: string; size: number }>>;
  getObject(bucket: string, key: string): Promise<StoredTestObject>;
  /** Multipart uploads started and neither completed nor aborted (moto only; s3rver has none). */
  listMultipartUploads(bucket: string): Promise<Array<{ key: string; uploadId: string }>>;
  stop(): Promise<void>;
}

export interface MotoServer extends S3TestServer {
  readonly name: 'moto';
  readonly enforcingAuth: boolean;
  /**
   * An IAM user with `policy` as its only inline policy, and its access key. Needs `enforceAuth`.
   * Note: with enforcement every presigned URL answers 500 (a moto bug): test presign elsewhere.
   */
  createRestrictedUser(policy: object | string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const REGION = 'us-east-1';

interface Live {
  child: ChildProcess;
  dir?: string;
}
const live = new Set<Live>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const entry of live) {
      entry.child.kill('SIGKILL');
      if (entry.dir !== undefined) fs.rmSync(entry.dir, { recursive: true, force: true });
    }
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function startProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => tail };
}

async function waitReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  what: string,
): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited while starting (${child.exitCode ?? child.signalCode}): ${output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} was not ready within ${READY_TIMEOUT_MS} ms: ${output()}`);
}

async function stopProcess(entry: Live): Promise<void> {
  const { child } = entry;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  if (entry.dir !== undefined) await fsp.rm(entry.dir, { recursive: true, force: true });
  live.delete(entry);
}

/** Starts a process on a free port, retrying with a new port if it dies (the port was taken). */
async function startOnFreePort(
  what: string,
  launch: (port: number) => Promise<{ child: ChildProcess; output: () => string; dir?: string }>,
  fixedPort?: number,
): Promise<{ port: number; entry: Live }> {
  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < (fixedPort === undefined ? 3 : 1); attempt += 1) {
    const port = fixedPort ?? (await freePort());
    const { child, output, dir } = await launch(port);
    const entry: Live = { child, ...(dir === undefined ? {} : { dir }) };
    live.add(entry);
    try {
      await waitReady(`http://127.0.0.1:${port}/`, child, output, what);
      return { port, entry };
    } catch (error) {
      lastError = error;
      await stopProcess(entry);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`${what} did not start`);
}

function adminClient(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

function helpers(
  client: S3Client,
): Pick<S3TestServer, 'createBucket' | 'listObjects' | 'getObject' | 'listMultipartUploads'> {
  return {
    async createBucket(name = `bl-${randomBytes(5).toString('hex')}`) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async listObjects(bucket, prefix) {
      const out: Array<{ key: string; size: number }> = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            ...(prefix === undefined ? {} : { Prefix: prefix }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const item of page.Contents ?? []) out.push({ key: item.Key ?? '', size: item.Size ?? 0 });
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return out;
    },
    async getObject(bucket, key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
      return {
        body,
        contentType: out.ContentType,
        contentDisposition: out.ContentDisposition,
        metadata: out.Metadata ?? {},
      };
    },
    async listMultipartUploads(bucket) {
      const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      return (out.Uploads ?? []).map((u) => ({ key: u.Key ?? '', uploadId: u.UploadId ?? '' }));
    },
  };
}

// IAM calls are signed (they must work once enforcement is on), so they go through boto3, which
// moto itself depends on: one short Python run per call.
const IAM_SCRIPT = `
import json, sys, boto3
a = json.loads(sys.stdin.read())
iam = boto3.client('iam', endpoint_url=a['endpoint'], region_name='us-east-1',
                   aws_access_key_id=a['ak'], aws_secret_access_key=a['sk'])
iam.create_user(UserName=a['user'])
iam.put_user_policy(UserName=a['user'], PolicyName=a['user'] + '-policy', PolicyDocument=a['policy'])
k = iam.create_access_key(UserName=a['user'])['AccessKey']
print(json.dumps({'accessKeyId': k['AccessKeyId'], 'secretAccessKey': k['SecretAccessKey']}))
`;

async function createIamUser(
  endpoint: string,
  signer: { ak: string; sk: string },
  user: string,
  policy: string,
) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: os.tmpdir(),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const child = spawn('python3', ['-c', IAM_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4_000)));
  child.stdin.end(JSON.stringify({ endpoint, ak: signer.ak, sk: signer.sk, user, policy }));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`creating IAM user ${user} failed (${code}): ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    accessKeyId: string;
    secretAccessKey: string;
  };
}

async function enableAuth(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset-auth`, {
    method: 'POST',
    body: '0',
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`moto reset-auth answered ${response.status}`);
}

const ADMIN_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

/**
 * Starts moto. With `enforceAuth`, an IAM admin is created first (its keys are the server's
 * credentials) and enforcement is switched on, so other keys get real AccessDenied answers.
 */
export async function startMoto(options: { enforceAuth?: boolean; port?: number } = {}): Promise<MotoServer> {
  // `port`: start on this port (e.g. again on the port of a moto that was stopped); no retry.
  const { port, entry } = await startOnFreePort(
    'moto',
    async (p) => startProcess('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(p)]),
    options.port,
  );
  const endpoint = `http://127.0.0.1:${port}`;
  let creds = { ak: 'bucketload-test', sk: 'bucketload-test-secret' };
  try {
    if (options.enforceAuth === true) {
      const admin = await createIamUser(endpoint, creds, 'admin', ADMIN_POLICY);
      creds = { ak: admin.accessKeyId, sk: admin.secretAccessKey };
      await enableAuth(endpoint);
    }
  } catch (error) {
    await stopProcess(entry);
    throw error;
  }
  const client = adminClient(endpoint, creds.ak, creds.sk);
  let userCount = 0;
  let stopped: Promise<void> | undefined;
  return {
    name: 'moto',
    endpoint,
    region: REGION,
    accessKeyId: creds.ak,
    secretAccessKey: creds.sk,
    enforcingAuth: options.enforceAuth === true,
    ...helpers(client),
    async createRestrictedUser(policy) {
      if (options.enforceAuth !== true)
        throw new Error('createRestrictedUser needs startMoto({ enforceAuth: true })');
      userCount += 1;
      const user = await createIamUser(
        endpoint,
        creds,
        `restricted-${userCount}`,
        typeof policy === 'string' ? policy : JSON.stringify(policy),
      );
      await enableAuth(endpoint);
      return user;
    },
    stop: () =>
      (stopped ??= (async () => {
        client.destroy();
        await stopProcess(entry);
      })()),
  };
}

/** Starts s3rver (key id and secret S3RVER; it checks only the key id). */
export async function startS3rver(): Promise<S3TestServer> {
  const script = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const { port, entry } = await startOnFreePort('s3rver', async (p) => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bucketload-s3rver-'));
    // --openssl-legacy-provider: without it, listing with pagination answers 500 on Node 17+.
    const started = startProcess(process.execPath, [
      '--openssl-legacy-provider',
      script,
      '-d',
      dir,
      '-a',
      '127.0.0.1',
      '-p',
      String(p),
      '--silent',
    ]);
    return { ...started, dir };
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = adminClient(endpoint, 'S3RVER', 'S3RVER');
  const base = helpers(client);
  let stopped: Promise<void> | undefined;
  return {
    name: 's3rver',
    endpoint,
    region: REGION,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    ...base,
    async listMultipartUploads() {
      throw new Error('s3rver has no ListMultipartUploads');
    },
    stop: () =>
      (stopped ??= (async () => {
        client.destroy();
        await stopProcess(entry);
      })()),
  };
}

/** How test files reach the run's shared S3 servers (started once in the global setup). */
export interface SharedS3Info {
  readonly name: 'moto' | 's3rver';
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function sharedInfo(server: S3TestServer): SharedS3Info {
  return {
    name: server.name,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  };
}

/**
 * A handle on a shared server: the same helpers, but `stop()` only closes this file's client (the
 * global setup owns the process). Each test file still owns its state: it creates its own buckets.
 */
export function connectShared(info: SharedS3Info): S3TestServer {
  const client = adminClient(info.endpoint, info.accessKeyId, info.secretAccessKey);
  const base = helpers(client);
  return {
    name: info.name,
    endpoint: info.endpoint,
    region: REGION,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
    ...base,
    ...(info.name === 's3rver'
      ? {
          async listMultipartUploads() {
            throw new Error('s3rver has no ListMultipartUploads');
          },
        }
      : {}),
    async stop() {
      client.destroy();
    },
  };
}
