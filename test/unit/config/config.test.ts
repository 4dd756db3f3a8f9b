// Pure logic: configuration parsing and validation (no I/O).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';

describe('loadConfig', () => {
  it('serves one machine with the defaults', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('/srv/app/data');
    expect(config.databaseUrl).toBe(`sqlite://${path.join('/srv/app/data', 'bucketload.db')}`);
    expect(config.managedStorage).toEqual({ kind: 'local', dir: '/srv/app/data/objects' });
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.workerConcurrency).toBe(2);
    expect(config.ytdlpPath).toBe('yt-dlp');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        BUCKETLOAD_HOST: '0.0.0.0',
        BUCKETLOAD_PORT: '9000',
        BUCKETLOAD_DATA_DIR: '/var/lib/bl',
        BUCKETLOAD_DATABASE_URL: 'postgres://u@localhost/bl',
        BUCKETLOAD_MANAGED_STORAGE:
          's3://managed-bucket/some/prefix?endpoint=http://localhost:9000&region=eu-west-1&forcePathStyle=true',
        AWS_ACCESS_KEY_ID: 'AKIDMANAGED',
        AWS_SECRET_ACCESS_KEY: 'managed-secret',
        BUCKETLOAD_PUBLIC_URL: 'https://bl.example.test/',
        BUCKETLOAD_MASTER_KEY: 'ab'.repeat(32),
        BUCKETLOAD_WORKER_CONCURRENCY: '8',
        BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8,localhost:9000',
        BUCKETLOAD_YTDLP_PATH: '/opt/yt-dlp',
        BUCKETLOAD_FFMPEG_PATH: '/opt/ffmpeg',
        BUCKETLOAD_FFPROBE_PATH: '/opt/ffprobe',
        BUCKETLOAD_MAX_FILE_BYTES: '1000',
        BUCKETLOAD_LOG_LEVEL: 'debug',
      },
      '/',
    );
    expect(config.port).toBe(9000);
    expect(config.databaseUrl).toBe('postgres://u@localhost/bl');
    expect(config.managedStorage).toEqual({
      kind: 's3',
      bucket: 'managed-bucket',
      prefix: 'some/prefix',
      endpoint: 'http://localhost:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDMANAGED', secretAccessKey: 'managed-secret' },
    });
    expect(config.publicUrl).toBe('https://bl.example.test');
    expect(config.workerConcurrency).toBe(8);
    expect(config.maxFileBytes).toBe(1000);
    expect(config.logLevel).toBe('debug');
    expect(config.ffprobePath).toBe('/opt/ffprobe');
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        BUCKETLOAD_PORT: 'eighty',
        BUCKETLOAD_DATABASE_URL: 'mysql://x',
        BUCKETLOAD_MASTER_KEY: 'short',
        BUCKETLOAD_LOG_LEVEL: 'loud',
        BUCKETLOAD_WORKER_CONCURRENCY: '-1',
        BUCKETLOAD_PUBLIC_URL: 'ftp://x',
        BUCKETLOAD_EGRESS_ALLOW: 'not a cidr/99',
        BUCKETLOAD_MANAGED_STORAGE: 's3://UPPER_case/x',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'MASTER_KEY',
      'LOG_LEVEL',
      'WORKER_CONCURRENCY',
      'PUBLIC_URL',
      'EGRESS_ALLOW',
      'MANAGED_STORAGE',
    ]) {
      expect(problems).toContain(`BUCKETLOAD_${name}`);
    }
    expect((error as ConfigError).message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it('needs AWS credentials for managed storage on s3:// and reads the webhook settings', () => {
    expect(() => loadConfig({ BUCKETLOAD_MANAGED_STORAGE: 's3://managed-bucket/p' })).toThrow(
      /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    const config = loadConfig({
      BUCKETLOAD_WEBHOOK_BACKOFF_SECONDS: '2',
      BUCKETLOAD_WEBHOOK_MAX_ATTEMPTS: '4',
    });
    expect(config.webhookBackoffSeconds).toBe(2);
    expect(config.webhookMaxAttempts).toBe(4);
    expect(loadConfig({}).webhookMaxAttempts).toBe(8);
  });

  it('accepts a base64 master key and refuses a 31-byte one', () => {
    expect(
      loadConfig({ BUCKETLOAD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }).masterKey,
    ).toBeDefined();
    expect(() => loadConfig({ BUCKETLOAD_MASTER_KEY: Buffer.alloc(31, 7).toString('base64') })).toThrow(
      ConfigError,
    );
  });
});
