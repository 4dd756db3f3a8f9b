export interface UserTable {
  id: string;
  name: string;
  /** 0 or 1: SQLite has no boolean type and both dialects share one schema. */
  is_admin: number;
  created_at: number;
}
