import type { Selectable } from 'kysely';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from './database.js';
import type { UserTable } from './user.table.js';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly isAdmin: boolean;
  readonly createdAt: Date;
}

function toUser(row: Selectable<UserTable>): User {
  return { id: row.id, name: row.name, isAdmin: row.is_admin === 1, createdAt: new Date(row.created_at) };
}

export class UserRepository {
  constructor(private readonly db: Db) {}

  async create(name: string, isAdmin: boolean): Promise<User> {
    const existing = await this.findByName(name);
    if (existing !== undefined) throw new AppError('USER_EXISTS', { field: 'name' });
    const row = { id: newId('usr'), name, is_admin: isAdmin ? 1 : 0, created_at: Date.now() };
    try {
      await this.db.insertInto('users').values(row).execute();
    } catch (error) {
      // Two concurrent creates: the unique index decides.
      if (await this.findByName(name)) throw new AppError('USER_EXISTS', { field: 'name', cause: error });
      throw error;
    }
    return toUser(row);
  }

  async findByName(name: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
