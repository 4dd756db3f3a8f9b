import type { AppServices } from '../http/app-services.js';
import type { User } from '../db/user.repository.js';
import { DestinationRepository } from '../db/destination.repository.js';
import { CliError, EXIT, usageError } from './context.js';

/**
 * Who the CLI acts as. Jobs and destinations belong to a user; a one-shot command runs as
 * `--user NAME`, or else as the first admin, so CLI imports show up in the operator's dashboard
 * and `--destination NAME` finds the destinations the admin saved. On a fresh database the admin
 * `admin` is created without a key (`serve` then prints its first key, as on any first start).
 */
export async function resolveCliUser(services: AppServices, name: string | undefined): Promise<User> {
  if (name !== undefined) {
    const user = await services.users.findByName(name);
    if (user === undefined) {
      throw new CliError(
        `no user named "${name}"`,
        EXIT.notFound,
        'USER_NOT_FOUND',
        `Create it with: bucketload users create ${name}`,
      );
    }
    return user;
  }
  const admin = (await services.users.list()).find((user) => user.isAdmin);
  if (admin !== undefined) return admin;
  return (await services.users.findByName('admin')) ?? services.users.create('admin', true);
}

/**
 * The owner of a saved destination named `name`: the given user's, else the only user with a
 * destination of that name (several → a usage error asking for --user).
 */
export async function destinationOwner(
  services: AppServices,
  name: string,
  userName: string | undefined,
): Promise<User> {
  if (userName !== undefined) return resolveCliUser(services, userName);
  const rows = (await new DestinationRepository(services.database.db).listAll()).filter(
    (row) => row.name === name,
  );
  const [first, ...others] = rows;
  if (first === undefined) {
    throw new CliError(
      `no destination named "${name}"`,
      EXIT.notFound,
      'DESTINATION_NOT_FOUND',
      'List them with: bucketload destinations list',
    );
  }
  if (others.length > 0)
    throw usageError(`several users have a destination named "${name}"`, 'Say whose with --user NAME.');
  const user = await services.users.findById(first.user_id);
  if (user === undefined)
    throw new CliError(`no destination named "${name}"`, EXIT.notFound, 'DESTINATION_NOT_FOUND');
  return user;
}
