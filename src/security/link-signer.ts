import { createHmac, timingSafeEqual } from 'node:crypto';
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
