import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LocalLinkSigner } from '../storage/local/local-object-store.js';

/**
 * Signed, expiring download links for managed storage:
 * `<public url>/files/<user id>/<key>?expires=<unix s>&name=<file name>&sig=<hmac>`.
 * The HMAC covers user, key, expiry and name, so a link cannot be edited into another user's file
 * or a later expiry.
 */
export class LinkSigner implements LocalLinkSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly publicUrl: string,
  ) {}

  sign(target: { root: string; key: string; fileName: string }, expiresInSeconds: number): string {
    const userId = path.basename(target.root);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const sig = this.mac(userId, target.key, expires, target.fileName);
    const keyPath = target.key.split('/').map(encodeURIComponent).join('/');
    const query = new URLSearchParams({ expires: String(expires), name: target.fileName, sig });
    return `${this.publicUrl}/files/${encodeURIComponent(userId)}/${keyPath}?${query.toString()}`;
  }

  /** 'ok', 'expired' or 'invalid'; the signature is checked first so expiry leaks nothing. */
  verify(
    userId: string,
    key: string,
    expires: number,
    fileName: string,
    sig: string,
  ): 'ok' | 'expired' | 'invalid' {
    const expected = Buffer.from(this.mac(userId, key, expires, fileName), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return expires * 1000 < Date.now() ? 'expired' : 'ok';
  }

  /**
   * A folder-scoped link to `key`: `<public url>/streams/<user>/<expires>.<n>.<sig>/<key>` where the
   * signature covers the first `n` segments of the key (its folder). Every file under that folder
   * is reachable with the same token, which is what HLS/DASH players need for relative URLs.
   */
  signFolder(target: { root: string; key: string }, expiresInSeconds: number): string {
    const userId = path.basename(target.root);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    const segments = target.key.split('/');
    const depth = segments.length - 1;
    const folder = segments.slice(0, depth).join('/');
    const token = `${expires}.${depth}.${this.folderMac(userId, folder, expires)}`;
    const keyPath = segments.map(encodeURIComponent).join('/');
    return `${this.publicUrl}/streams/${encodeURIComponent(userId)}/${token}/${keyPath}`;
  }

  verifyFolderToken(userId: string, key: string, token: string): 'ok' | 'expired' | 'invalid' {
    const match = /^(\d{1,12})\.(\d{1,3})\.([A-Za-z0-9_-]+)$/.exec(token);
    if (match === null) return 'invalid';
    const expires = Number(match[1]);
    const depth = Number(match[2]);
    const segments = key.split('/');
    // The file must lie inside the signed folder (strictly below it), never beside or above it.
    if (depth >= segments.length || segments.some((s) => s === '' || s === '.' || s === '..'))
      return 'invalid';
    const expected = Buffer.from(this.folderMac(userId, segments.slice(0, depth).join('/'), expires), 'utf8');
    const given = Buffer.from(match[3] ?? '', 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return expires * 1000 < Date.now() ? 'expired' : 'ok';
  }

  private folderMac(userId: string, folder: string, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`folder\n${userId}\n${folder}\n${expires}`)
      .digest('base64url');
  }

  private mac(userId: string, key: string, expires: number, fileName: string): string {
    return createHmac('sha256', this.secret)
      .update(`${userId}\n${key}\n${expires}\n${fileName}`)
      .digest('base64url');
  }
}

const LINK_KEY_FILE = 'link.key';

/**
 * The HMAC key of managed-storage links: its own 0600 file in the data dir, created on first run.
 * Not derived from the master key, so rotating the master key does not break links already handed
 * out (they expire on their own, after at most 7 days).
 */
export function loadLinkKey(dataDir: string): Buffer {
  const file = path.join(dataDir, LINK_KEY_FILE);
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
}
