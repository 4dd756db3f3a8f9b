/**
 * Builds the one kind of S3Client the project uses. Every client has connection, socket-idle and
 * request timeouts (the SDK's default is none: a silent endpoint would hang a job forever), few
 * attempts, no region-redirect following (a wrong region must be reported, not silently fixed),
 * and checksums only where required for non-AWS providers. The egress policy plugs in through
 * `httpAgent`/`httpsAgent`, which check every connection's resolved address.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { reportS3Error } from '../../observability/s3-error-events.js';
import type { ResolvedS3Destination } from './s3-destination.js';

export interface S3ClientTuning {
  /** TCP (and TLS) connect limit. Default 5 s. */
  readonly connectionTimeoutMs?: number;
  /**
   * Limit from sending a request to its response headers, including the body upload. Default
   * 15 min: a 525 MiB part (the largest this code makes, for 5 TiB) at 10 Mbit/s takes about 7 min.
   */
  readonly requestTimeoutMs?: number;
  /** Idle limit on a socket with a request in flight. Default 60 s. */
  readonly socketTimeoutMs?: number;
  /** Total attempts per request (retries on throttling, 5xx and network errors). Default 3. */
  readonly maxAttempts?: number;
  /**
   * Agents that own the connections, e.g. from `createEgressHttpAgents(policy)`. The client's
   * `destroy()` destroys them too, so give each client its own pair.
   */
  readonly httpAgent?: HttpAgent;
  readonly httpsAgent?: HttpsAgent;
}

export const DEFAULT_S3_CLIENT_TUNING = {
  connectionTimeoutMs: 5_000,
  requestTimeoutMs: 15 * 60_000,
  socketTimeoutMs: 60_000,
  maxAttempts: 3,
} as const satisfies S3ClientTuning;

/** The parts of a destination a client needs. */
export type S3ClientTarget = Pick<
  ResolvedS3Destination,
  'endpoint' | 'region' | 'forcePathStyle' | 'checksumMode' | 'credentials'
>;

/** The NodeHttpHandler options a tuning produces (exported for tests). */
export function httpHandlerOptions(
  tuning: S3ClientTuning = {},
): ConstructorParameters<typeof NodeHttpHandler>[0] & object {
  const t = { ...DEFAULT_S3_CLIENT_TUNING, ...tuning };
  return {
    connectionTimeout: t.connectionTimeoutMs,
    requestTimeout: t.requestTimeoutMs,
    // Without this the handler only logs a warning when requestTimeout passes.
    throwOnRequestTimeout: true,
    socketTimeout: t.socketTimeoutMs,
    ...(t.httpAgent === undefined ? {} : { httpAgent: t.httpAgent }),
    ...(t.httpsAgent === undefined ? {} : { httpsAgent: t.httpsAgent }),
  };
}

/**
 * A client for `target`. `endpoint` overrides the target's (used to presign with a public host).
 */
export function createS3Client(
  target: S3ClientTarget,
  tuning: S3ClientTuning = {},
  endpoint = target.endpoint,
): S3Client {
  const client = new S3Client({
    endpoint,
    region: target.region,
    forcePathStyle: target.forcePathStyle,
    credentials: {
      accessKeyId: target.credentials.accessKeyId,
      secretAccessKey: target.credentials.secretAccessKey,
    },
    requestChecksumCalculation: target.checksumMode,
    responseChecksumValidation: target.checksumMode,
    followRegionRedirects: false,
    maxAttempts: tuning.maxAttempts ?? DEFAULT_S3_CLIENT_TUNING.maxAttempts,
    requestHandler: new NodeHttpHandler(httpHandlerOptions(tuning)),
  });
  // Counts failed commands by code for /metrics (bucketload_s3_errors_total), after the SDK's retries.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        reportS3Error(error, context.commandName);
        throw error;
      }
    },
    { step: 'initialize', name: 'bucketloadS3ErrorTap' },
  );
  return client;
}
