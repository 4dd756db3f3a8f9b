import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** A generated body of `size` random bytes in 64 KiB chunks; `sha256()` is known once it ended. */
export function randomBody(
  size: number,
  options: { chunkBytes?: number; onChunk?: (sentBytes: number) => void | Promise<void> } = {},
): { stream: Readable; sha256: () => string; sent: () => number } {
  const hash = createHash('sha256');
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  let sent = 0;
  let digest: string | undefined;
  const stream = Readable.from(
    (async function* () {
      while (sent < size) {
        const chunk = randomBytes(Math.min(chunkBytes, size - sent));
        hash.update(chunk);
        sent += chunk.length;
        yield chunk;
        await options.onChunk?.(sent);
      }
      digest = hash.digest('hex');
    })(),
    { objectMode: false },
  );
  return {
    stream,
    sha256: () => {
      if (digest === undefined) throw new Error('body not fully generated');
      return digest;
    },
    sent: () => sent,
  };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
