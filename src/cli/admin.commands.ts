import type { Command } from 'commander';
import { AppError } from '../core/errors.js';
import { EXIT, runCommand, withRuntime } from './context.js';
import { info, printJson, printTable } from './output.js';

export function registerAdminCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      await runCommand(false, () => withRuntime(async () => info('migrations applied')));
    });

  const users = program.command('users').description('manage users');
  users
    .command('create')
    .description('create a user and print a first API key for it (shown once)')
    .argument('<name>', 'user name')
    .option('--admin', 'the user may manage users and keys', false)
    .option('--json', 'print JSON', false)
    .action(async (name: string, opts: { admin: boolean; json: boolean }) => {
      await runCommand(opts.json, () =>
        withRuntime(async ({ services }) => {
          const user = await services.users.create(name, opts.admin);
          const { key, record } = await services.keys.create(user.id, 'initial');
          if (opts.json)
            printJson({
              user: { id: user.id, name: user.name, isAdmin: user.isAdmin },
              apiKey: key,
              keyId: record.id,
            });
          else {
            info(`created user ${user.name} (${user.id})${user.isAdmin ? ' as admin' : ''}`);
            info('API key (shown once, keep it safe):');
            process.stdout.write(`${key}\n`);
          }
        }),
      );
    });

  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('create an API key for a user (shown once)')
    .requiredOption('--user <name>', 'the user the key belongs to')
    .option('--name <label>', 'a label for the key')
    .option('--json', 'print JSON', false)
    .action(async (opts: { user: string; name?: string; json: boolean }) => {
      await runCommand(opts.json, () =>
        withRuntime(async ({ services }) => {
          const user = await services.users.findByName(opts.user);
          if (user === undefined) {
            info(`no user named ${opts.user}; create it with: bucketload users create ${opts.user}`);
            process.exitCode = EXIT.notFound;
            return;
          }
          const { key, record } = await services.keys.create(user.id, opts.name ?? null);
          if (opts.json) printJson({ apiKey: key, keyId: record.id, user: user.name });
          else process.stdout.write(`${key}\n`);
        }),
      );
    });
  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--user <name>', 'only this user’s keys')
    .option('--json', 'print JSON', false)
    .action(async (opts: { user?: string; json: boolean }) => {
      await runCommand(opts.json, () =>
        withRuntime(async ({ services }) => {
          let userId: string | undefined;
          if (opts.user !== undefined) {
            const user = await services.users.findByName(opts.user);
            if (user === undefined) throw new AppError('USER_NOT_FOUND');
            userId = user.id;
          }
          const records = await services.keys.list(userId === undefined ? {} : { userId });
          const rows = records.map((r) => ({
            id: r.id,
            user: r.userId,
            prefix: `${r.prefix}…`,
            name: r.name ?? '',
            created: r.createdAt.toISOString(),
            revoked: r.revokedAt?.toISOString() ?? '',
          }));
          if (opts.json) printJson(rows);
          else printTable(rows, ['id', 'user', 'prefix', 'name', 'created', 'revoked']);
        }),
      );
    });
  keys
    .command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'key id (see keys list)')
    .action(async (id: string) => {
      await runCommand(false, () =>
        withRuntime(async ({ services }) => {
          if (!(await services.keys.revoke(id))) {
            info(`no key with id ${id}`);
            process.exitCode = EXIT.notFound;
            return;
          }
          info(`revoked ${id}`);
        }),
      );
    });
}
