export interface ApiKeyTable {
  id: string;
  user_id: string;
  /** The visible start of the key (e.g. `bl_live_AbCd`), to recognise it in listings. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  hash: string;
  name: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}
