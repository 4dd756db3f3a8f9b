import { randomBytes } from 'node:crypto';

/**
 * Ids are a type prefix and 16 random bytes in base32 (Crockford, lower case): sortable enough by
 * created_at, unguessable, safe in URLs and object keys.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function randomBase32(bytes: number): string {
  const buf = randomBytes(bytes);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = 'usr' | 'key' | 'dst' | 'imp' | 'fil' | 'whd';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase32(16)}`;
}
