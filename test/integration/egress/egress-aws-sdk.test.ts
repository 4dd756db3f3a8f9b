// Real parts: AWS SDK v3 S3Client with @smithy/node-http-handler and the egress node:http Agents,
// a node:http listener on 127.0.0.1 standing in for a self-hosted S3 endpoint. Nothing else.
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  createEgressHttpAgents,
  createEgressPolicy,
  parseEgressAllow,
} from '../../../src/security/egress/index.js';
import { startCountingListener, type CountingListener } from './loopback-listeners.js';

let endpoint: CountingListener;

function s3For(allow: string, url: string): { client: S3Client; destroy(): void } {
  const agents = createEgressHttpAgents(createEgressPolicy(parseEgressAllow(allow).rules));
  const client = new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test-secret' },
    requestHandler: new NodeHttpHandler({ ...agents, connectionTimeout: 2_000, requestTimeout: 2_000 }),
  });
  return {
    client,
    destroy() {
      client.destroy();
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}

beforeAll(async () => {
  endpoint = await startCountingListener('127.0.0.1');
});
afterAll(async () => {
  await endpoint.close();
});

describe('AWS SDK through the egress agents', () => {
  it.each([
    ['a loopback endpoint', () => endpoint.origin],
    ['localhost', () => `http://localhost:${endpoint.port}`],
    ['an IPv4-mapped endpoint', () => `http://[::ffff:127.0.0.1]:${endpoint.port}`],
  ])('refuses %s under the default policy, without a request', async (_name, url) => {
    const s3 = s3For('', url());
    try {
      const error: unknown = await s3.client.send(new ListBucketsCommand({})).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('EGRESS_DENIED');
      expect((error as AppError).message).not.toContain('test-secret');
      expect(endpoint.count()).toBe(0);
    } finally {
      s3.destroy();
    }
  });

  it('reaches an endpoint allowed by host:port (a self-hosted MinIO)', async () => {
    const s3 = s3For(`localhost:${endpoint.port}`, `http://localhost:${endpoint.port}`);
    try {
      // The listener is not S3, so the SDK fails to parse the answer; what matters is that it got there.
      const error: unknown = await s3.client.send(new ListBucketsCommand({})).catch((e: unknown) => e);
      expect((error as { code?: unknown } | undefined)?.code).not.toBe('EGRESS_DENIED');
      expect(endpoint.count()).toBe(1);
    } finally {
      s3.destroy();
    }
  });
});
