import type { Selectable } from 'kysely';
import { newId } from '../core/ids.js';
import { generateApiKey, hashApiKey } from '../security/api-key-secret.js';
import type { ApiKeyTable } from './api-key.table.js';
import type { Db } from './database.js';

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly prefix: string;
  readonly name: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface ApiKeyOwner {
  readonly keyId: string;
  readonly userId: string;
  readonly userName: string;
  readonly isAdmin: boolean;
  readonly revoked: boolean;
}

function toRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    prefix: row.prefix,
    name: row.name,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  /** Creates a key; the plaintext is returned once and never stored. */
  async create(userId: string, name: string | null): Promise<{ record: ApiKeyRecord; key: string }> {
    const { key, hash, prefix } = generateApiKey();
    const row = {
      id: newId('key'),
      user_id: userId,
      prefix,
      hash,
      name,
      created_at: Date.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { record: toRecord(row), key };
  }

  async findOwnerByKey(key: string): Promise<ApiKeyOwner | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .select([
        'api_keys.id as keyId',
        'users.id as userId',
        'users.name as userName',
        'users.is_admin',
        'api_keys.revoked_at',
      ])
      .where('api_keys.hash', '=', hashApiKey(key))
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      keyId: row.keyId,
      userId: row.userId,
      userName: row.userName,
      isAdmin: row.is_admin === 1,
      revoked: row.revoked_at !== null,
    };
  }

  async touch(keyId: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: Date.now() }).where('id', '=', keyId).execute();
  }

  async list(filter: { userId?: string } = {}): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('api_keys').selectAll();
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  }

  async findById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  /** Revokes a key; returns false when there is no such key. Revoking twice is not an error. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(Date.now())) }))
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
