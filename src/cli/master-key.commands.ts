import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { EXIT, runCommand } from './context.js';

/**
 * `master-key rotate` and `master-key generate`. The master key seals users' destination secrets;
 * old key ids stay decryptable as long as their key is in the key ring (the key file's older
 * lines), so rotation is: make a new key current, then re-encrypt every secret under it.
 *
 * - Key file (no BUCKETLOAD_MASTER_KEY): rotate prepends a new key to `<data dir>/master.key` and
 *   re-encrypts. The old lines stay, for anything still sealed with them.
 * - BUCKETLOAD_MASTER_KEY: the environment holds the current key and the CLI cannot change it. The
 *   operator sets the new key there and keeps the old one as a line of the key file; rotate then
 *   re-encrypts under the variable's key (see docs/cli.md for the steps).
 */
export function registerMasterKeyCommands(program: Command): void {
  const masterKey = program
    .command('master-key')
    .description('rotate the master key that encrypts destination secrets');
  masterKey
    .command('rotate')
    .description('make a new master key current and re-encrypt every destination secret under it')
    .option('--json', 'print { mode, keyId, previousKeyIds, reencrypted, destinations }', false)
    .addHelpText(
      'after',
      `
With a key file (the default): a new key is added to <data dir>/master.key and every secret is
re-encrypted; older keys stay in the file. Restart running serve/worker processes afterwards.

With BUCKETLOAD_MASTER_KEY set, rotate cannot change the variable. The steps:
  1. append the current key to <data dir>/master.key (chmod 600): it keeps old secrets readable
  2. set BUCKETLOAD_MASTER_KEY to a new key (bucketload master-key generate)
  3. run bucketload master-key rotate: every secret is re-encrypted under the new key
  4. restart serve/worker processes with the new variable`,
    )
    .action(async (opts: { json: boolean }) => {
      await runCommand(opts.json, async () => (await import('./master-key.action.js')).rotate(opts.json));
      process.exit(process.exitCode ?? EXIT.ok);
    });

  masterKey
    .command('generate')
    .description('print a new random master key (64 hex characters) for BUCKETLOAD_MASTER_KEY')
    .action(() => {
      process.stdout.write(`${randomBytes(32).toString('hex')}\n`);
    });
}
