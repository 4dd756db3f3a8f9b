import http from 'node:http';
import https from 'node:https';
import { describe, expect, it } from 'vitest';
import {
  createS3Client,
  DEFAULT_S3_CLIENT_TUNING,
  httpHandlerOptions,
} from '../../../src/storage/s3/s3-client-factory.js';
import { resolveS3Destination } from '../../../src/storage/s3/s3-destination.js';

// Pure configuration: clients are built but never send.

const creds = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };

describe('createS3Client', () => {
  it('always sets connection, request and socket timeouts, and makes request timeouts throw', () => {
    expect(httpHandlerOptions()).toMatchObject({
      connectionTimeout: DEFAULT_S3_CLIENT_TUNING.connectionTimeoutMs,
      requestTimeout: DEFAULT_S3_CLIENT_TUNING.requestTimeoutMs,
      socketTimeout: DEFAULT_S3_CLIENT_TUNING.socketTimeoutMs,
      throwOnRequestTimeout: true,
    });
    expect(DEFAULT_S3_CLIENT_TUNING.connectionTimeoutMs).toBeGreaterThan(0);
    expect(DEFAULT_S3_CLIENT_TUNING.requestTimeoutMs).toBeGreaterThan(0);
    expect(httpHandlerOptions({ requestTimeoutMs: 1_500 })).toMatchObject({
      requestTimeout: 1_500,
      connectionTimeout: 5_000,
    });
  });

  it('passes the egress agents through', () => {
    const httpAgent = new http.Agent();
    const httpsAgent = new https.Agent();
    try {
      const options = httpHandlerOptions({ httpAgent, httpsAgent }) as {
        httpAgent?: unknown;
        httpsAgent?: unknown;
      };
      expect(options.httpAgent).toBe(httpAgent);
      expect(options.httpsAgent).toBe(httpsAgent);
    } finally {
      httpAgent.destroy();
      httpsAgent.destroy();
    }
  });

  it('uses WHEN_REQUIRED checksums for non-AWS endpoints and the SDK default for AWS', async () => {
    const other = createS3Client(
      resolveS3Destination({ endpoint: 'http://127.0.0.1:9000', bucket: 'bucket-a', ...creds }),
    );
    const aws = createS3Client(
      resolveS3Destination({ provider: 'aws', region: 'eu-west-1', bucket: 'bucket-a', ...creds }),
    );
    try {
      expect(await other.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
      expect(await other.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
      expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
      expect(other.config.forcePathStyle).toBe(true);
      expect(aws.config.forcePathStyle).toBe(false);
      expect(await other.config.maxAttempts()).toBe(3);
      expect(await aws.config.region()).toBe('eu-west-1');
    } finally {
      other.destroy();
      aws.destroy();
    }
  });

  it('uses http for use_tls: 0 endpoints and can sign for a public endpoint', async () => {
    const dest = resolveS3Destination({
      endpoint: 'minio.internal:9000',
      useTls: false,
      bucket: 'bucket-a',
      ...creds,
    });
    const client = createS3Client(dest, {}, 'https://files.example.com');
    try {
      expect(dest.endpoint).toBe('http://minio.internal:9000');
      const endpoint = await client.config.endpoint?.();
      expect(endpoint?.hostname).toBe('files.example.com');
    } finally {
      client.destroy();
    }
  });
});
