import { createHash } from 'node:crypto';
import net from 'node:net';
import { DeleteBucketCommand, GetObjectAclCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3TestServer } from '../../support/s3-servers.js';
import type { TestApp } from '../../support/test-app.js';

// Small helpers shared by the compat specs (loopback only).

/** A parsed JSON answer, as loosely typed as `TestApp.request` gives it. */
export type JsonBody = Awaited<ReturnType<TestApp['request']>>['body'];

export const sha256 = (buf: Buffer | Uint8Array): string => createHash('sha256').update(buf).digest('hex');

/** Polls `url` on the app until `done(body)` holds (bounded), returning the last body. */
export async function pollJson(
  t: TestApp,
  url: string,
  headers: Record<string, string>,
  done: (body: JsonBody) => boolean,
  timeoutMs = 45_000,
): Promise<JsonBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await t.request('GET', url, { headers });
    if (done(body)) return body;
    if (Date.now() > deadline)
      throw new Error(`${url} not done after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Downloads a URL (presigned or signed link) without credentials. */
export async function download(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

function adminClient(server: S3TestServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** HeadObject with the server's own credentials (storage class, size). */
export async function headObject(server: S3TestServer, bucket: string, key: string) {
  const client = adminClient(server);
  try {
    return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } finally {
    client.destroy();
  }
}

/** Deletes an (empty) bucket behind the app's back, so the next upload to it fails. */
export async function deleteBucket(server: S3TestServer, bucket: string): Promise<void> {
  const client = adminClient(server);
  try {
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** Whether the object's ACL lets everyone read it (the `public-read` canned ACL). */
export async function publicReadGranted(server: S3TestServer, bucket: string, key: string): Promise<boolean> {
  const client = adminClient(server);
  try {
    const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
    return (acl.Grants ?? []).some(
      (g) => g.Permission === 'READ' && (g.Grantee?.URI ?? '').endsWith('/global/AllUsers'),
    );
  } finally {
    client.destroy();
  }
}

/** A loopback endpoint that accepts TCP connections and never answers (an unreachable S3 that hangs). */
export async function startSilentEndpoint(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
