/**
 * The S3 endpoints the benchmarks upload into, each a fresh process on 127.0.0.1 and a free port,
 * stopped (and its data removed) by `stop()`:
 * - `sink`: the discard sink (discard-sink.mjs), the client's own ceiling;
 * - `s3rver` (npm, stores on disk), `moto` (Python, in memory): real, slower servers.
 * Credentials: any for the sink and moto; S3RVER/S3RVER for s3rver (it checks only the key id).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { firstJsonLine, freePort, removeDirLater, startHelper, waitHttp } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SERVER_NAMES = ['sink', 's3rver', 'moto'];

function client(endpoint, accessKeyId, secretAccessKey) {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
}

function wrap(name, endpoint, helper, credentials, cleanup) {
  const s3 = client(endpoint, credentials.accessKeyId, credentials.secretAccessKey);
  return {
    name,
    endpoint,
    pid: helper.pid,
    ...credentials,
    async createBucket(bucket) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    /** Size and metadata of a stored object (undefined when absent). */
    async head(bucket, key) {
      try {
        const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { sizeBytes: out.ContentLength ?? 0, metadata: out.Metadata ?? {} };
      } catch (error) {
        if (error?.$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
    async deleteObject(bucket, key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    },
    /** The sink's own CPU seconds and bytes received so far (sink only). */
    async stats() {
      if (name !== 'sink') return undefined;
      const response = await fetch(`${endpoint}/__bench/stats`, { signal: AbortSignal.timeout(5000) });
      return response.json();
    },
    async stop() {
      s3.destroy();
      await helper.stop();
      await cleanup?.();
    },
  };
}

export async function startSink() {
  const helper = startHelper('discard sink', process.execPath, [path.join(here, 'discard-sink.mjs')]);
  const { port } = await firstJsonLine(helper);
  return wrap('sink', `http://127.0.0.1:${port}`, helper, {
    accessKeyId: 'bench',
    secretAccessKey: 'bench-secret',
  });
}

export async function startS3rver(tmpRoot = os.tmpdir()) {
  const script = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'bench-s3rver-'));
  const removeDir = removeDirLater(dir);
  const port = await freePort();
  // --openssl-legacy-provider: without it s3rver answers 500 to paginated listings on Node 17+.
  const helper = startHelper('s3rver', process.execPath, [
    '--openssl-legacy-provider',
    script,
    '-d',
    dir,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--silent',
  ]);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${endpoint}/`, helper);
  } catch (error) {
    await helper.stop();
    await removeDir();
    throw error;
  }
  return wrap('s3rver', endpoint, helper, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, removeDir);
}

export async function startMoto() {
  const port = await freePort();
  const helper = startHelper('moto', 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)]);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${endpoint}/`, helper);
  } catch (error) {
    await helper.stop();
    throw error;
  }
  return wrap('moto', endpoint, helper, { accessKeyId: 'bench', secretAccessKey: 'bench-secret' });
}

export async function startServer(name, tmpRoot) {
  switch (name) {
    case 'sink':
      return startSink();
    case 's3rver':
      return startS3rver(tmpRoot);
    case 'moto':
      return startMoto();
    default:
      throw new Error(`unknown server ${name} (use ${SERVER_NAMES.join(', ')})`);
  }
}
