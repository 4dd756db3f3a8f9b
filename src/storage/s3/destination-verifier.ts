/**
 * Verifies a destination before it is saved (POST /v1/destinations, /test, Tornado's POST /user/bucket).
 *
 * The only permission a minimal policy grants is s3:PutObject (Importly's recommended policy), so a
 * small marker PutObject under the path prefix decides: if it fails, verification fails with a
 * classified reason. Then read, list and a presigned-GET round trip are probed and reported as
 * capabilities, and the marker is deleted when the key may delete (the delete is the last probe).
 * The whole check is bounded by `timeoutMs` (15 s): a silent endpoint is STORAGE_TIMEOUT, not a hang.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { AppError, toError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';
import { createS3Client, type S3ClientTuning } from './s3-client-factory.js';
import {
  resolveS3Destination,
  type ResolvedS3Destination,
  type S3DestinationConfig,
} from './s3-destination.js';
import { classifyS3Error, type S3Operation } from './s3-error-classifier.js';
import { objectWriteParams, presignGetUrl } from './s3-object-store.js';

export const DEFAULT_VERIFY_TIMEOUT_MS = 15_000;

export type Capability = 'put' | 'read' | 'list' | 'delete' | 'presign';

export interface CapabilityReport {
  /** The marker PutObject succeeded: the destination can receive files. */
  readonly ok: boolean;
  readonly capabilities: Readonly<Record<Capability, boolean>>;
  /** ISO time the check started. */
  readonly checkedAt: string;
  readonly durationMs: number;
  /** Why verification failed (when `ok` is false): a classified AppError. */
  readonly error?: AppError;
  /** Why an optional probe was false, e.g. `{ list: 'ACCESS_DENIED' }`. */
  readonly probeErrors: Readonly<Partial<Record<Exclude<Capability, 'put'>, ErrorCode>>>;
  /** The marker's key, and whether it is gone again (false when the key may not delete). */
  readonly markerKey?: string;
  readonly markerRemoved: boolean;
}

export interface VerifyOptions {
  /** The caller's cancel (client went away). Cancel rejects with an AbortError; timeouts do not. */
  readonly signal?: AbortSignal;
  /** Bound on the whole check. Default 15,000 ms. */
  readonly timeoutMs?: number;
  /** Client tuning, e.g. the egress agents; timeouts default to fit in `timeoutMs`. */
  readonly tuning?: S3ClientTuning;
}

const MARKER_BODY = 'bucketload destination check: safe to delete\n';
const MARKER_PRESIGN_SECONDS = 300;

function isResolved(config: S3DestinationConfig | ResolvedS3Destination): config is ResolvedS3Destination {
  return 'credentials' in config;
}

function abortError(signal: AbortSignal): Error {
  const error = new Error('Verification was canceled.', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/**
 * Checks what `config`'s credentials may do in its bucket. Never throws for a storage problem: the
 * report carries it (`ok: false`, `error`). Throws only an AbortError when `options.signal` aborts.
 */
export async function verifyDestination(
  config: S3DestinationConfig | ResolvedS3Destination,
  options: VerifyOptions = {},
): Promise<CapabilityReport> {
  const started = Date.now();
  const checkedAt = new Date(started).toISOString();
  const timeoutMs = options.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const capabilities: Record<Capability, boolean> = {
    put: false,
    read: false,
    list: false,
    delete: false,
    presign: false,
  };
  const probeErrors: Partial<Record<Exclude<Capability, 'put'>, ErrorCode>> = {};
  const report = (extra: {
    error?: AppError;
    markerKey?: string;
    markerRemoved?: boolean;
  }): CapabilityReport => ({
    ok: capabilities.put,
    capabilities: { ...capabilities },
    checkedAt,
    durationMs: Date.now() - started,
    probeErrors: { ...probeErrors },
    markerRemoved: extra.markerRemoved ?? false,
    ...(extra.error === undefined ? {} : { error: extra.error }),
    ...(extra.markerKey === undefined ? {} : { markerKey: extra.markerKey }),
  });

  options.signal?.throwIfAborted();
  let destination: ResolvedS3Destination;
  try {
    destination = isResolved(config) ? config : resolveS3Destination(config);
  } catch (error) {
    return report({
      error: error instanceof AppError ? error : new AppError('VALIDATION_FAILED', { cause: error }),
    });
  }

  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  const tuning: S3ClientTuning = {
    connectionTimeoutMs: Math.min(5_000, timeoutMs),
    requestTimeoutMs: timeoutMs,
    socketTimeoutMs: timeoutMs,
    maxAttempts: 2,
    ...options.tuning,
  };
  const client = createS3Client(destination, tuning);
  const presignClient =
    destination.publicEndpoint === undefined
      ? client
      : createS3Client(destination, tuning, destination.publicEndpoint);
  const classify = (error: unknown, operation: S3Operation): AppError => {
    if (options.signal?.aborted === true) throw abortError(options.signal);
    return classifyS3Error(error, {
      operation,
      bucket: destination.bucket,
      region: destination.region,
      timedOut: deadline.aborted,
      timeoutMs,
    });
  };
  const bucket = destination.bucket;
  const markerKey = `${destination.pathPrefix === '' ? '' : `${destination.pathPrefix}/`}.bucketload-check-${randomUUID()}.txt`;

  try {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: markerKey,
          Body: MARKER_BODY,
          ContentType: 'text/plain; charset=utf-8',
          ...objectWriteParams(destination),
        }),
        { abortSignal: signal },
      );
      capabilities.put = true;
    } catch (error) {
      return report({ error: classify(error, 'put') });
    }

    const probe = async (
      capability: Exclude<Capability, 'put'>,
      operation: S3Operation,
      run: () => Promise<boolean>,
    ) => {
      try {
        capabilities[capability] = await run();
        if (!capabilities[capability]) probeErrors[capability] = 'INTEGRITY_MISMATCH';
      } catch (error) {
        probeErrors[capability] = classify(error, operation).code;
      }
    };

    await Promise.all([
      probe('read', 'get', async () => {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: markerKey }), {
          abortSignal: signal,
        });
        return (await out.Body?.transformToString()) === MARKER_BODY;
      }),
      probe('list', 'list', async () => {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: markerKey, MaxKeys: 1 }), {
          abortSignal: signal,
        });
        return true;
      }),
      probe('presign', 'presign', async () => {
        const url = await presignGetUrl(presignClient, bucket, markerKey, {
          expiresInSeconds: MARKER_PRESIGN_SECONDS,
          fileName: 'bucketload-check.txt',
        });
        const response = await httpGet(url, { signal, ...agentsOf(tuning) });
        if (response.status === 403)
          throw Object.assign(new Error('presigned GET refused'), { $metadata: { httpStatusCode: 403 } });
        if (response.status !== 200) {
          throw Object.assign(new Error(`presigned GET answered ${response.status}`), {
            $metadata: { httpStatusCode: response.status },
          });
        }
        return response.body === MARKER_BODY;
      }),
    ]);

    await probe('delete', 'delete', async () => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: markerKey }), { abortSignal: signal });
      return true;
    });
    return report({ markerKey, markerRemoved: capabilities.delete });
  } finally {
    client.destroy();
    if (presignClient !== client) presignClient.destroy();
  }
}

function agentsOf(tuning: S3ClientTuning): { httpAgent?: http.Agent; httpsAgent?: https.Agent } {
  return {
    ...(tuning.httpAgent === undefined ? {} : { httpAgent: tuning.httpAgent }),
    ...(tuning.httpsAgent === undefined ? {} : { httpsAgent: tuning.httpsAgent }),
  };
}

/**
 * A small GET through the same agents as the S3 client (so the egress policy applies to the
 * presigned URL too), bounded by `signal`, reading at most 64 KiB.
 */
async function httpGet(
  url: string,
  options: { signal: AbortSignal; httpAgent?: http.Agent; httpsAgent?: https.Agent },
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const isHttps = target.protocol === 'https:';
  const agent = isHttps ? options.httpsAgent : options.httpAgent;
  return new Promise((resolve, reject) => {
    const request = (isHttps ? https : http).get(
      target,
      { signal: options.signal, ...(agent === undefined ? {} : { agent }) },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 65_536) chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => reject(toError(error)));
      },
    );
    request.on('error', (error) => reject(toError(error)));
  });
}
