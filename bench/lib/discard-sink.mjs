/**
 * A minimal S3 endpoint that discards what it is sent: the upload calls (PutObject,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, CopyObject,
 * UploadPartCopy), HeadObject/HeadBucket and the few bucket calls the tools make first
 * (CreateBucket, GetBucketLocation, ListObjects(V2), ListMultipartUploads), answered with the XML
 * real S3 sends. The real loopback servers (s3rver, moto) are slower than the clients; only a sink
 * shows a client's own ceiling.
 *
 * Bodies are MD5-hashed as they are discarded, like S3 does, because clients check the ETag of a
 * part against their own MD5 (s3cmd re-uploads a part whose ETag differs). Only sizes, ETags and
 * headers are kept, per key, so HeadObject after an upload answers what was "stored".
 * Path-style addressing only (`http://127.0.0.1:PORT/bucket/key`); signatures are not checked.
 *
 * Run as a process: `node bench/lib/discard-sink.mjs [--port N]` prints `{"port":N}` on stdout once
 * listening. `GET /__bench/stats` answers this process's CPU time and the bytes it received.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const MAX_XML_BODY = 4 * 1024 * 1024;

/** @typedef {{ size: number, etag: string, contentType: string, meta: Record<string, string>, lastModified: Date }} Stored */
/** @typedef {{ bucket: string, key: string, contentType: string, meta: Record<string, string>, parts: Map<number, { size: number, md5: Buffer }> }} Upload */

function xmlEscape(value) {
  return String(value).replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c],
  );
}

function xml(res, status, body, headers = {}) {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(text),
    'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
    ...headers,
  });
  res.end(text);
}

function s3Error(res, status, code, message, method) {
  if (method === 'HEAD') {
    res.writeHead(status, { 'x-amz-error-code': code, 'content-length': 0 });
    res.end();
    return;
  }
  xml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

function metaFrom(headers) {
  /** @type {Record<string, string>} */
  const meta = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') meta[name] = value;
  }
  return meta;
}

/** Reads and hashes a body, keeping none of it. */
function drain(req) {
  return new Promise((resolve, reject) => {
    const md5 = createHash('md5');
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      md5.update(chunk);
    });
    req.once('end', () => resolve({ size, md5: md5.digest() }));
    req.once('error', reject);
  });
}

function readSmall(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_XML_BODY) {
        req.destroy();
        reject(new Error('body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

export function createDiscardSink() {
  /** @type {Set<string>} */
  const buckets = new Set();
  /** @type {Map<string, Stored>} */
  const objects = new Map();
  /** @type {Map<string, Upload>} */
  const uploads = new Map();
  let receivedBytes = 0;
  let requests = 0;

  const id = (bucket, key) => `${bucket}/${key}`;

  async function handle(req, res) {
    requests += 1;
    const url = new URL(req.url ?? '/', 'http://sink');
    const method = req.method ?? 'GET';
    const q = url.searchParams;

    if (url.pathname === '/__bench/stats') {
      const cpu = process.cpuUsage();
      const body = JSON.stringify({
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        receivedBytes,
        requests,
        rssBytes: process.memoryUsage().rss,
      });
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        .end(body);
      return;
    }
    const [, rawBucket = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    if (bucket === '') {
      // ListBuckets
      const list = [...buckets]
        .map(
          (b) =>
            `<Bucket><Name>${xmlEscape(b)}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`,
        )
        .join('');
      return xml(
        res,
        200,
        `<ListAllMyBucketsResult><Owner><ID>bench</ID></Owner><Buckets>${list}</Buckets></ListAllMyBucketsResult>`,
      );
    }

    if (key === '') return handleBucket(req, res, method, bucket, q);
    if (!buckets.has(bucket)) {
      req.resume();
      return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', method);
    }
    const copySource = req.headers['x-amz-copy-source'];

    if (method === 'PUT' && q.has('uploadId')) {
      const upload = uploads.get(q.get('uploadId') ?? '');
      if (upload === undefined) {
        req.resume();
        return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist', method);
      }
      const partNumber = Number(q.get('partNumber'));
      if (typeof copySource === 'string') {
        // UploadPartCopy: ranges of a stored object, nothing to read.
        req.resume();
        const source = objects.get(decodeURIComponent(copySource.replace(/^\//, '').split('?')[0] ?? ''));
        if (source === undefined)
          return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', method);
        const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['x-amz-copy-source-range'] ?? ''));
        const size = range === null ? source.size : Number(range[2]) - Number(range[1]) + 1;
        const md5 = createHash('md5').update(`${copySource}:${partNumber}:${size}`).digest();
        upload.parts.set(partNumber, { size, md5 });
        return xml(
          res,
          200,
          `<CopyPartResult><LastModified>${new Date().toISOString()}</LastModified><ETag>"${md5.toString('hex')}"</ETag></CopyPartResult>`,
        );
      }
      if (String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
        req.resume();
        return s3Error(
          res,
          501,
          'NotImplemented',
          'aws-chunked bodies are not supported by the discard sink',
          method,
        );
      }
      const { size, md5 } = await drain(req);
      receivedBytes += size;
      upload.parts.set(partNumber, { size, md5 });
      res.writeHead(200, { etag: `"${md5.toString('hex')}"`, 'content-length': 0 });
      res.end();
      return;
    }

    if (method === 'PUT' && typeof copySource === 'string') {
      // CopyObject (onto itself with MetadataDirective REPLACE, in bucketload's case).
      req.resume();
      const sourceId = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0] ?? '');
      const source = objects.get(sourceId);
      if (source === undefined)
        return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', method);
      const ifMatch = req.headers['x-amz-copy-source-if-match'];
      if (typeof ifMatch === 'string' && ifMatch !== source.etag) {
        return s3Error(
          res,
          412,
          'PreconditionFailed',
          'At least one of the preconditions you specified did not hold.',
          method,
        );
      }
      const replace = req.headers['x-amz-metadata-directive'] === 'REPLACE';
      const stored = {
        size: source.size,
        etag: source.etag,
        contentType: replace
          ? String(req.headers['content-type'] ?? 'binary/octet-stream')
          : source.contentType,
        meta: replace ? metaFrom(req.headers) : source.meta,
        lastModified: new Date(),
      };
      objects.set(id(bucket, key), stored);
      return xml(
        res,
        200,
        `<CopyObjectResult><LastModified>${stored.lastModified.toISOString()}</LastModified><ETag>${stored.etag}</ETag></CopyObjectResult>`,
      );
    }

    if (method === 'PUT') {
      if (String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) {
        req.resume();
        return s3Error(
          res,
          501,
          'NotImplemented',
          'aws-chunked bodies are not supported by the discard sink',
          method,
        );
      }
      const { size, md5 } = await drain(req);
      receivedBytes += size;
      const etag = `"${md5.toString('hex')}"`;
      objects.set(id(bucket, key), {
        size,
        etag,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        meta: metaFrom(req.headers),
        lastModified: new Date(),
      });
      res.writeHead(200, { etag, 'content-length': 0 });
      res.end();
      return;
    }

    if (method === 'POST' && q.has('uploads')) {
      req.resume();
      const uploadId = randomBytes(16).toString('hex');
      uploads.set(uploadId, {
        bucket,
        key,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        meta: metaFrom(req.headers),
        parts: new Map(),
      });
      return xml(
        res,
        200,
        `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }

    if (method === 'POST' && q.has('uploadId')) {
      const uploadId = q.get('uploadId') ?? '';
      const upload = uploads.get(uploadId);
      const body = await readSmall(req);
      if (upload === undefined)
        return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist', method);
      const listed = [...body.matchAll(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/g)].map((m) => Number(m[1]));
      const numbers = listed.length > 0 ? listed : [...upload.parts.keys()].sort((a, b) => a - b);
      let size = 0;
      const md5s = [];
      for (const n of numbers) {
        const part = upload.parts.get(n);
        if (part === undefined)
          return s3Error(res, 400, 'InvalidPart', `Part ${n} was not uploaded.`, method);
        size += part.size;
        md5s.push(part.md5);
      }
      const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${numbers.length}"`;
      uploads.delete(uploadId);
      objects.set(id(bucket, key), {
        size,
        etag,
        contentType: upload.contentType,
        meta: upload.meta,
        lastModified: new Date(),
      });
      return xml(
        res,
        200,
        `<CompleteMultipartUploadResult><Location>http://${xmlEscape(req.headers.host ?? 'sink')}/${xmlEscape(bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
      );
    }

    if (method === 'DELETE' && q.has('uploadId')) {
      req.resume();
      if (!uploads.delete(q.get('uploadId') ?? ''))
        return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist', method);
      res.writeHead(204).end();
      return;
    }

    if (method === 'GET' && q.has('uploadId')) {
      // ListParts
      req.resume();
      const upload = uploads.get(q.get('uploadId') ?? '');
      if (upload === undefined)
        return s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist', method);
      const parts = [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(
          ([n, p]) =>
            `<Part><PartNumber>${n}</PartNumber><ETag>"${p.md5.toString('hex')}"</ETag><Size>${p.size}</Size></Part>`,
        )
        .join('');
      return xml(
        res,
        200,
        `<ListPartsResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${q.get('uploadId')}</UploadId><IsTruncated>false</IsTruncated>${parts}</ListPartsResult>`,
      );
    }

    if (method === 'DELETE') {
      req.resume();
      objects.delete(id(bucket, key));
      res.writeHead(204).end();
      return;
    }

    if (method === 'HEAD' || method === 'GET') {
      req.resume();
      const stored = objects.get(id(bucket, key));
      if (stored === undefined)
        return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', method);
      if (method === 'GET')
        return s3Error(res, 501, 'NotImplemented', 'The discard sink keeps no bodies.', method);
      res.writeHead(200, {
        'content-length': stored.size,
        etag: stored.etag,
        'content-type': stored.contentType,
        'last-modified': stored.lastModified.toUTCString(),
        'accept-ranges': 'bytes',
        ...stored.meta,
      });
      res.end();
      return;
    }

    req.resume();
    return s3Error(res, 405, 'MethodNotAllowed', `${method} is not supported by the discard sink`, method);
  }

  function handleBucket(req, res, method, bucket, q) {
    req.resume();
    switch (method) {
      case 'PUT':
        buckets.add(bucket);
        res.writeHead(200, { location: `/${bucket}`, 'content-length': 0 }).end();
        return;
      case 'HEAD':
        if (!buckets.has(bucket))
          return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', method);
        res.writeHead(200, { 'x-amz-bucket-region': 'us-east-1', 'content-length': 0 }).end();
        return;
      case 'DELETE':
        buckets.delete(bucket);
        res.writeHead(204).end();
        return;
      case 'GET': {
        if (!buckets.has(bucket))
          return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', method);
        if (q.has('location'))
          return xml(
            res,
            200,
            '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>',
          );
        if (q.has('uploads')) {
          const open = [...uploads.entries()]
            .filter(([, u]) => u.bucket === bucket)
            .map(
              ([uploadId, u]) =>
                `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${uploadId}</UploadId></Upload>`,
            )
            .join('');
          return xml(
            res,
            200,
            `<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket><IsTruncated>false</IsTruncated>${open}</ListMultipartUploadsResult>`,
          );
        }
        const prefix = q.get('prefix') ?? '';
        const contents = [...objects.entries()]
          .filter(([k]) => k.startsWith(`${bucket}/${prefix}`))
          .map(
            ([k, o]) =>
              `<Contents><Key>${xmlEscape(k.slice(bucket.length + 1))}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
          )
          .join('');
        const v2 = q.get('list-type') === '2';
        const count = v2 ? `<KeyCount>${contents.split('<Contents>').length - 1}</KeyCount>` : '';
        return xml(
          res,
          200,
          `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>${count}<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
      }
      case 'POST':
        // DeleteObjects: everything "deleted".
        return xml(res, 200, '<DeleteResult></DeleteResult>');
      default:
        return s3Error(
          res,
          405,
          'MethodNotAllowed',
          `${method} is not supported by the discard sink`,
          method,
        );
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) s3Error(res, 500, 'InternalError', String(error), req.method);
      else res.destroy();
    });
  });
  // Clients keep connections open between parts; the default 5 s would close some mid-run.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  server.requestTimeout = 0;
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const portIndex = process.argv.indexOf('--port');
  const port = portIndex === -1 ? 0 : Number(process.argv[portIndex + 1]);
  const server = createDiscardSink();
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`,
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent is gone: do not outlive it.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
