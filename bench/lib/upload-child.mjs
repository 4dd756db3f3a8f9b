/**
 * bucketload's uploader alone, in its own process so its CPU and RSS are its own: streams a file
 * through S3ObjectStore.put (SHA-256 while streaming, multipart, then the self-copy that stores the
 * checksum and the HEAD that verifies the size), exactly as an import does, from the built code in
 * dist/.
 *
 *   node bench/lib/upload-child.mjs FILE ENDPOINT BUCKET KEY
 *   (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Experiments, to measure a change
 *   before proposing it in src: BENCH_QUEUE_SIZE and BENCH_PART_MIB (S3ObjectStore options),
 *   BENCH_UNSIGNED_PAYLOAD=1 (send `x-amz-content-sha256: UNSIGNED-PAYLOAD` on part uploads, so the
 *   SDK does not SHA-256 every part a second time to sign it), BENCH_READ_KIB (file read size).
 *
 * Prints one JSON line: sizes, the SHA-256, and when the data was sent vs the whole put finished.
 */
import fs from 'node:fs';

const dist = new URL('../../dist/', import.meta.url);
const { S3ObjectStore } = await import(new URL('storage/s3/s3-object-store.js', dist).href);
const { resolveS3Destination } = await import(new URL('storage/s3/s3-destination.js', dist).href);

const [file, endpoint, bucket, key] = process.argv.slice(2);
if (key === undefined) throw new Error('usage: upload-child.mjs FILE ENDPOINT BUCKET KEY');
const sizeBytes = fs.statSync(file).size;

const destination = resolveS3Destination({
  provider: 'other',
  endpoint,
  region: 'us-east-1',
  bucket,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench-secret',
  forcePathStyle: true,
});
const queueSize =
  process.env.BENCH_QUEUE_SIZE === undefined ? undefined : Number(process.env.BENCH_QUEUE_SIZE);
const minPartBytes =
  process.env.BENCH_PART_MIB === undefined ? undefined : Number(process.env.BENCH_PART_MIB) * 1024 * 1024;
const store = new S3ObjectStore({
  destination,
  ...(queueSize === undefined ? {} : { queueSize }),
  ...(minPartBytes === undefined ? {} : { minPartBytes }),
});

if (process.env.BENCH_UNSIGNED_PAYLOAD === '1') {
  // The experiment only: reaches into the store's private client (see docs/benchmarks.md).
  store.client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request;
      if (
        request?.headers !== undefined &&
        (request.method === 'PUT' || request.method === 'POST') &&
        request.body !== undefined
      ) {
        request.headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'benchUnsignedPayload' },
  );
}
// The file is read in 1 MiB blocks (as aws-cli reads 8 MB ones); fs streams default to 64 KiB.
const readBytes = Number(process.env.BENCH_READ_KIB ?? 1024) * 1024;

const started = performance.now();
let dataSentAt;
const stored = await store.put({
  key,
  body: fs.createReadStream(file, { highWaterMark: readBytes }),
  contentType: 'application/octet-stream',
  contentLength: sizeBytes,
  signal: new AbortController().signal,
  onProgress(bytes) {
    if (dataSentAt === undefined && bytes >= sizeBytes) dataSentAt = performance.now();
  },
});
const finished = performance.now();
store.destroy();
process.stdout.write(
  `${JSON.stringify({
    sizeBytes: stored.sizeBytes,
    sha256: stored.sha256,
    sha256Stored: stored.sha256Stored,
    dataSeconds: ((dataSentAt ?? finished) - started) / 1000,
    putSeconds: (finished - started) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
