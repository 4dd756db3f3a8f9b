import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys: `bl_` + 43 base64url characters (32 random bytes). Only the SHA-256 of the whole key is
 * stored; a fast hash is right here because the key has 256 bits of entropy (no dictionary to
 * attack), and it lets a lookup be one indexed equality.
 */
export const API_KEY_PREFIX = 'bl_';

export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_KEY_PREFIX.length + 6) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return (
    value.startsWith(API_KEY_PREFIX) && value.length >= API_KEY_PREFIX.length + 43 && value.length <= 200
  );
}
