import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../core/errors.js';
import {
  createHashingCounter,
  type ObjectHead,
  type ObjectStore,
  type PresignGetOptions,
  type PutObjectInput,
  type StoredObject,
} from '../object-store.js';

/** Signs managed-storage download links; implemented by the HTTP layer's URL signer. */
export interface LocalLinkSigner {
  sign(
    target: { root: string; key: string; fileName: string; contentType?: string },
    expiresInSeconds: number,
  ): string;
  signFolder(target: { root: string; key: string }, expiresInSeconds: number): string;
}

interface Sidecar {
  sha256: string;
  sizeBytes: number;
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
}

const TMP_DIR = '.tmp';

/**
 * Managed storage on the local disk: `<root>/<key>` with a JSON sidecar `<root>/.meta/<key>.json`.
 * Writes go to a temp file in the same file system and are renamed into place only after the whole
 * body arrived, so a failed or canceled job leaves nothing at the key.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;

  constructor(
    /** The user's root, `<data dir>/objects/<user id>`. */
    private readonly root: string,
    private readonly signer: LocalLinkSigner,
  ) {}

  pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    // Keys are sanitised before they get here; this guards the file system regardless.
    if (!full.startsWith(path.resolve(this.root) + path.sep))
      throw new AppError('INVALID_KEY', { field: 'key' });
    return full;
  }

  private metaPathOf(key: string): string {
    return path.join(this.root, '.meta', `${key}.json`);
  }

  async put(input: PutObjectInput): Promise<StoredObject> {
    const target = this.pathOf(input.key);
    if (input.ifNoneMatch === true && fs.existsSync(target))
      throw new AppError('OBJECT_EXISTS', { field: 'key' });
    const tmpDir = path.join(this.root, TMP_DIR);
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
    const counter = createHashingCounter();
    let lastReport = 0;
    counter.on('data', () => {
      const now = Date.now();
      if (input.onProgress !== undefined && now - lastReport >= 200) {
        lastReport = now;
        input.onProgress(counter.bytes);
      }
    });
    try {
      await pipeline(input.body, counter, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o640 }), {
        signal: input.signal,
      });
      input.onProgress?.(counter.bytes);
      const sidecar: Sidecar = {
        sha256: counter.digest(),
        sizeBytes: counter.bytes,
        contentType: input.contentType,
        metadata: { ...input.metadata, sha256: counter.digest() },
        ...(input.contentDisposition === undefined ? {} : { contentDisposition: input.contentDisposition }),
      };
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.mkdir(path.dirname(this.metaPathOf(input.key)), { recursive: true });
      if (input.ifNoneMatch === true && fs.existsSync(target))
        throw new AppError('OBJECT_EXISTS', { field: 'key' });
      await fsp.writeFile(this.metaPathOf(input.key), JSON.stringify(sidecar));
      await fsp.rename(tmp, target);
      return { key: input.key, sizeBytes: counter.bytes, sha256: counter.digest(), sha256Stored: true };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const stat = await fsp.stat(this.pathOf(key));
      const sidecar = await this.readSidecar(key);
      return {
        sizeBytes: stat.size,
        metadata: sidecar?.metadata ?? {},
        ...(sidecar === undefined ? {} : { contentType: sidecar.contentType }),
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async readSidecar(key: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await fsp.readFile(this.metaPathOf(key), 'utf8')) as Sidecar;
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
    await fsp.rm(this.metaPathOf(key), { force: true });
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    // A folder link for a key at the user's root would open every file of the user: refuse it.
    if (options.scope === 'folder' && key.includes('/'))
      return this.signer.signFolder({ root: this.root, key }, options.expiresInSeconds);
    return this.signer.sign(
      {
        root: this.root,
        key,
        fileName: options.fileName,
        ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      },
      options.expiresInSeconds,
    );
  }
}

/**
 * Removes temp files a crashed process left behind (called at start-up). Only files untouched for
 * `minAgeMs` go, so a sibling process sharing the data dir keeps its uploads in flight.
 */
export async function sweepLocalTemp(objectsDir: string, minAgeMs = 60_000): Promise<number> {
  let removed = 0;
  let users: string[];
  try {
    users = await fsp.readdir(objectsDir);
  } catch {
    return 0;
  }
  for (const user of users) {
    const tmpDir = path.join(objectsDir, user, TMP_DIR);
    const entries = await fsp.readdir(tmpDir).catch(() => [] as string[]);
    for (const entry of entries) {
      const file = path.join(tmpDir, entry);
      const stat = await fsp.stat(file).catch(() => undefined);
      if (stat === undefined || Date.now() - stat.mtimeMs < minAgeMs) continue;
      await fsp.rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}
