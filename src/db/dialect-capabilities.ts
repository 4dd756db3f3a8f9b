/**
 * The one place database differences live. Queue SQL asks this table instead of branching on the
 * dialect name.
 */
export interface DialectCapabilities {
  readonly name: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` in the claim sub-select (SQLite serialises writers instead). */
  readonly skipLocked: boolean;
}

export const SQLITE_CAPABILITIES: DialectCapabilities = Object.freeze({ name: 'sqlite', skipLocked: false });
export const POSTGRES_CAPABILITIES: DialectCapabilities = Object.freeze({
  name: 'postgres',
  skipLocked: true,
});
