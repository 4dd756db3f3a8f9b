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
  verify(userId: string, key: string, expires: number, fileName: string, sig: string): 'ok' | 'expired' | 'invalid' {
    const expected = Buffer.from(this.mac(userId, key, expires, fileName), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return expires * 1000 < Date.now() ? 'expired' : 'ok';
  }

  private mac(userId: string, key: string, expires: number, fileName: string): string {
    return createHmac('sha256', this.secret).update(`${userId}\n${key}\n${expires}\n${fileName}`).digest('base64url');
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
