/**
 * URL → bucket with bucketload's uploader alone (no database, no egress policy, no CLI): an HTTP GET
 * whose body streams into S3ObjectStore.put, from the built code in dist/. It shows what the
 * one-shot `bucketload import` adds on top of the store.
 *
 *   node bench/lib/fetch-upload-child.mjs URL ENDPOINT BUCKET KEY
 */
import http from 'node:http';

const dist = new URL('../../dist/', import.meta.url);
const { S3ObjectStore } = await import(new URL('storage/s3/s3-object-store.js', dist).href);
const { resolveS3Destination } = await import(new URL('storage/s3/s3-destination.js', dist).href);

const [url, endpoint, bucket, key] = process.argv.slice(2);
if (key === undefined) throw new Error('usage: fetch-upload-child.mjs URL ENDPOINT BUCKET KEY');

const store = new S3ObjectStore({
  destination: resolveS3Destination({
    provider: 'other',
    endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench-secret',
    forcePathStyle: true,
  }),
});
const started = performance.now();
const response = await new Promise((resolve, reject) => {
  http.get(url, (res) => resolve(res)).once('error', reject);
});
if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}`);
const length = Number(response.headers['content-length']);
const stored = await store.put({
  key,
  body: response,
  contentType: 'application/octet-stream',
  ...(Number.isSafeInteger(length) ? { contentLength: length } : {}),
  signal: new AbortController().signal,
});
store.destroy();
process.stdout.write(
  `${JSON.stringify({ sizeBytes: stored.sizeBytes, sha256: stored.sha256, putSeconds: (performance.now() - started) / 1000 })}\n`,
);
