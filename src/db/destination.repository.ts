import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from './database.js';
import type { DestinationTable } from './destination.table.js';

export type DestinationRow = Selectable<DestinationTable>;

/**
 * Destination rows. The secret column holds only a SecretBox envelope; this repository never sees a
 * plaintext secret (the destination service seals and opens).
 */
export class DestinationRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Insertable<DestinationTable>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (row.is_default === 1) {
        await trx
          .updateTable('destinations')
          .set({ is_default: 0 })
          .where('user_id', '=', row.user_id)
          .execute();
      }
      await trx.insertInto('destinations').values(row).execute();
    });
  }

  async update(userId: string, id: string, changes: Updateable<DestinationTable>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (changes.is_default === 1) {
        await trx.updateTable('destinations').set({ is_default: 0 }).where('user_id', '=', userId).execute();
      }
      await trx
        .updateTable('destinations')
        .set(changes)
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .execute();
    });
  }

  async findByName(userId: string, name: string): Promise<DestinationRow | undefined> {
    return this.db
      .selectFrom('destinations')
      .selectAll()
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async findById(userId: string, id: string): Promise<DestinationRow | undefined> {
    return this.db
      .selectFrom('destinations')
      .selectAll()
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async findDefault(userId: string): Promise<DestinationRow | undefined> {
    return this.db
      .selectFrom('destinations')
      .selectAll()
      .where('user_id', '=', userId)
      .where('is_default', '=', 1)
      .executeTakeFirst();
  }

  async list(userId: string): Promise<DestinationRow[]> {
    return this.db
      .selectFrom('destinations')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async listAll(): Promise<DestinationRow[]> {
    return this.db.selectFrom('destinations').selectAll().orderBy('id').execute();
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('destinations')
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setSecret(id: string, secretEnc: string): Promise<void> {
    await this.db.updateTable('destinations').set({ secret_enc: secretEnc }).where('id', '=', id).execute();
  }
}
