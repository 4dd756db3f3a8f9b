/**
 * The uploaders compared, each as one command measured from outside (measure.mjs), with the
 * defaults a user gets: bucketload's S3ObjectStore (upload-child.mjs), `aws s3 cp` (aws-cli v1),
 * `rclone copyto` and `s3cmd put`; and for URL → bucket, `bucketload import`, `rclone copyurl` and
 * curl-then-`aws s3 cp`. Every tool gets the endpoint, path-style addressing and keys by flags or
 * its own variables; none reads a config of the user running the benchmark.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsCommand } from './machine.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
export const CLI = path.join(REPO, 'dist/bin/bucketload.js');

export const UPLOAD_TOOLS = ['bucketload', 'aws-cli', 'rclone', 's3cmd'];
/** Only when named in --tools: the pooled-buffer prototype of bench/experiments/ (not bucketload's code). */
export const EXPERIMENTAL_UPLOAD_TOOLS = ['pooled-prototype'];
export const E2E_TOOLS = ['bucketload', 'bucketload-store', 'rclone', 'curl+aws-cli'];

/** An environment without the caller's AWS and rclone settings. */
function baseEnv(server, home) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|RCLONE_|S3CMD|BUCKETLOAD_)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The AWS SDK's "Node 20 support ends" notice, once per process: noise in the logs.
    NODE_NO_WARNINGS: '1',
  };
}

function rcloneEnv(server, home) {
  // AWS_CA_BUNDLE (set on these machines) breaks rclone even on plain http: leave it out.
  const env = baseEnv(server, home);
  return {
    ...env,
    RCLONE_CONFIG: path.join(home, 'rclone.conf'),
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.secretAccessKey,
    RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
  };
}

function s3cmdConfig(server, home) {
  const host = new URL(server.endpoint).host;
  const file = path.join(home, 's3cfg');
  fs.writeFileSync(
    file,
    [
      '[default]',
      `access_key = ${server.accessKeyId}`,
      `secret_key = ${server.secretAccessKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      'bucket_location = us-east-1',
      'use_https = False',
      'signature_v2 = False',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * The command that uploads `file` to `s3://bucket/key` with `tool`.
 * @returns {{ command: string, args: string[], env: NodeJS.ProcessEnv }}
 */
export function uploadCommand(tool, { file, server, bucket, key, home }) {
  fs.mkdirSync(home, { recursive: true });
  const env = baseEnv(server, home);
  switch (tool) {
    case 'bucketload':
      return {
        command: process.execPath,
        args: [path.join(here, 'upload-child.mjs'), file, server.endpoint, bucket, key],
        env,
      };
    case 'pooled-prototype':
      return {
        command: process.execPath,
        args: [path.join(here, '../experiments/pooled-upload-child.mjs'), file, server.endpoint, bucket, key],
        env,
      };
    case 'aws-cli':
      return {
        command: awsCommand(),
        args: [
          '--endpoint-url',
          server.endpoint,
          's3',
          'cp',
          '--no-progress',
          '--only-show-errors',
          file,
          `s3://${bucket}/${key}`,
        ],
        env: { ...env, AWS_CA_BUNDLE: '' },
      };
    case 'rclone':
      fs.writeFileSync(path.join(home, 'rclone.conf'), '');
      return {
        command: 'rclone',
        args: ['copyto', file, `bench:${bucket}/${key}`],
        env: rcloneEnv(server, home),
      };
    case 's3cmd':
      return {
        command: 's3cmd',
        args: ['-c', s3cmdConfig(server, home), '--no-progress', 'put', file, `s3://${bucket}/${key}`],
        env,
      };
    default:
      throw new Error(`unknown upload tool ${tool} (use ${UPLOAD_TOOLS.join(', ')})`);
  }
}

/**
 * The command that copies `url` into `s3://bucket/<folder>/<name>` with `tool`, and the key it
 * writes. `bucketload` is the one-shot CLI import (its own SQLite database in `home`).
 */
export function e2eCommand(tool, { url, server, bucket, folder, name, home, scratch }) {
  fs.mkdirSync(home, { recursive: true });
  const env = baseEnv(server, home);
  const key = `${folder}/${name}`;
  switch (tool) {
    case 'bucketload':
      return {
        key,
        command: process.execPath,
        args: [
          CLI,
          'import',
          url,
          '--to',
          `s3://${bucket}/${folder}/`,
          '--endpoint',
          server.endpoint,
          '--path-style',
          '--provider',
          'other',
          '--no-progress',
          '--json',
        ],
        env: {
          ...env,
          BUCKETLOAD_DATA_DIR: path.join(home, 'data'),
          // The source and the bucket are on loopback, which the egress policy refuses by default.
          BUCKETLOAD_EGRESS_ALLOW: '127.0.0.1',
          BUCKETLOAD_MASTER_KEY: '42'.repeat(32),
        },
      };
    case 'bucketload-store':
      return {
        key,
        command: process.execPath,
        args: [path.join(here, 'fetch-upload-child.mjs'), url, server.endpoint, bucket, key],
        env,
      };
    case 'rclone':
      fs.writeFileSync(path.join(home, 'rclone.conf'), '');
      return {
        key,
        command: 'rclone',
        args: ['copyurl', url, `bench:${bucket}/${key}`],
        env: rcloneEnv(server, home),
      };
    case 'curl+aws-cli': {
      const temp = path.join(scratch, `download-${process.pid}-${Date.now()}.bin`);
      const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
      const script = [
        `trap 'rm -f ${q(temp)}' EXIT`,
        `curl -sS -f -o ${q(temp)} ${q(url)}`,
        `${q(awsCommand())} --endpoint-url ${q(server.endpoint)} s3 cp --no-progress --only-show-errors ${q(temp)} ${q(`s3://${bucket}/${key}`)}`,
      ].join(' && ');
      return { key, command: 'bash', args: ['-c', script], env: { ...env, AWS_CA_BUNDLE: '' } };
    }
    default:
      throw new Error(`unknown e2e tool ${tool} (use ${E2E_TOOLS.join(', ')})`);
  }
}
