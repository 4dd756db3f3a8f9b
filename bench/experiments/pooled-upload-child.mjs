/**
 * A prototype, not bucketload's code: the multipart upload S3ObjectStore makes, but with its own
 * loop over a fixed pool of (queueSize + 1) part buffers that incoming chunks are copied into,
 * instead of lib-storage's Upload (which Buffer.concat()s a new 8 MiB part from the chunks each
 * time). Same client (dist/'s createS3Client), part size, parallelism and SHA-256 while streaming;
 * no checksum self-copy (the discard sink answers it at once anyway). It measures how much of the
 * uploader's CPU and RSS the per-part allocations cost (docs/benchmarks.md, section 1).
 *
 *   node bench/experiments/pooled-upload-child.mjs FILE ENDPOINT BUCKET KEY
 *   BENCH_UNSIGNED_PAYLOAD=1: also skip the SDK's SHA-256 of each part for SigV4.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const dist = new URL('../../dist/', import.meta.url);
const { createS3Client } = await import(new URL('storage/s3/s3-client-factory.js', dist).href);
const { resolveS3Destination } = await import(new URL('storage/s3/s3-destination.js', dist).href);

const [file, endpoint, Bucket, Key] = process.argv.slice(2);
const PART = 8 * 1024 * 1024;
const QUEUE = Number(process.env.BENCH_QUEUE_SIZE ?? 3);

const destination = resolveS3Destination({
  provider: 'other',
  endpoint,
  region: 'us-east-1',
  bucket: Bucket,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench-secret',
  forcePathStyle: true,
});
const client = createS3Client(destination);
if (process.env.BENCH_UNSIGNED_PAYLOAD === '1') {
  client.middlewareStack.add(
    (next) => async (args) => {
      if (args.request?.headers !== undefined && args.request.body !== undefined)
        args.request.headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'benchUnsignedPayload' },
  );
}

const started = performance.now();
const hash = createHash('sha256');
const free = Array.from({ length: QUEUE + 1 }, () => Buffer.allocUnsafeSlow(PART));
const waiting = [];
const acquire = () =>
  free.length > 0 ? Promise.resolve(free.pop()) : new Promise((resolve) => waiting.push(resolve));
const release = (buffer) => (waiting.length > 0 ? waiting.shift()(buffer) : free.push(buffer));

const { UploadId } = await client.send(
  new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'application/octet-stream' }),
);
const parts = [];
const inFlight = new Set();
let failure;
const send = (buffer, length, PartNumber) => {
  const task = client
    .send(
      new UploadPartCommand({
        Bucket,
        Key,
        UploadId,
        PartNumber,
        Body: buffer.subarray(0, length),
        ContentLength: length,
      }),
    )
    .then((out) => parts.push({ PartNumber, ETag: out.ETag }))
    .catch((error) => (failure ??= error))
    .finally(() => {
      inFlight.delete(task);
      release(buffer);
    });
  inFlight.add(task);
};

let current = await acquire();
let filled = 0;
let partNumber = 1;
let total = 0;
for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
  hash.update(chunk);
  total += chunk.length;
  for (let offset = 0; offset < chunk.length;) {
    const n = chunk.copy(current, filled, offset);
    filled += n;
    offset += n;
    if (filled === PART) {
      send(current, filled, partNumber++);
      current = await acquire();
      filled = 0;
    }
  }
  if (failure) throw failure;
}
if (filled > 0 || partNumber === 1) send(current, filled, partNumber++);
await Promise.all(inFlight);
if (failure) throw failure;
parts.sort((a, b) => a.PartNumber - b.PartNumber);
await client.send(
  new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
);
client.destroy();
process.stdout.write(
  `${JSON.stringify({ sizeBytes: total, sha256: hash.digest('hex'), putSeconds: (performance.now() - started) / 1000 })}\n`,
);
