// The API key lives in sessionStorage only: gone when the tab closes, never in a URL, a cookie or
// localStorage. The dashboard has no other credential.
const STORAGE_KEY = 'bucketload.apiKey';

export function readKey(): string | undefined {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}

/** Who the key belongs to, as far as the API tells: the key's own record, and admin or not. */
export interface Identity {
  readonly keyId: string | undefined;
  readonly keyName: string | null | undefined;
  readonly userId: string | undefined;
  readonly userName: string | undefined;
  readonly isAdmin: boolean;
}

/** The stored prefix of a key (`bl_` + 6 characters), as GET /v1/keys lists it. */
export function keyPrefix(key: string): string {
  return key.slice(0, 9);
}
