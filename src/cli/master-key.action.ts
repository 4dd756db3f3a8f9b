import fs from 'node:fs';
import path from 'node:path';
import { createRuntime } from '../app/runtime.js';
import type { Config } from '../config/config.js';
import { DestinationRepository } from '../db/destination.repository.js';
import type { AppServices } from '../http/app-services.js';
import {
  addMasterKeyToFile,
  decodeMasterKey,
  masterKeyFrom,
  type SecretBox,
} from '../security/secret-box.js';
import { secretAad } from '../storage/destinations/destination.service.js';
import { CliError, EXIT, cliLogger, configOrExit, type ExitCode } from './context.js';
import { info, printJson } from './output.js';

const KEY_FILE = 'master.key';

/** `master-key rotate` (see master-key.commands.ts for the two modes). */
export async function rotate(json: boolean): Promise<ExitCode> {
  const config = configOrExit();
  const logger = cliLogger(config);
  const mode = config.masterKey === undefined ? 'key-file' : 'environment';

  // Nothing changes unless every secret can be read first: a rotation never strands a secret.
  const before = await createRuntime(config, logger);
  let total: number;
  try {
    total = await assertAllReadable(before.services, before.secrets, config);
  } finally {
    await before.close();
  }

  if (mode === 'key-file') addMasterKeyToFile(config.dataDir);
  const after = await createRuntime(config, logger);
  let reencrypted: number;
  let keyId: string;
  try {
    reencrypted = await after.services.destinations.reencryptAll();
    keyId = after.secrets.currentKeyId;
  } finally {
    await after.close();
  }
  const previousKeyIds = fileKeyIds(config.dataDir).filter((kid) => kid !== keyId);
  const result = { mode, keyId, previousKeyIds, reencrypted, destinations: total };
  if (json) printJson(result);
  else {
    process.stdout.write(
      `re-encrypted ${reencrypted} of ${total} destination secret(s) under key ${keyId}\n`,
    );
    if (mode === 'key-file') {
      info(
        `added key ${keyId} to ${path.join(config.dataDir, KEY_FILE)}; older keys stay there (${previousKeyIds.join(', ') || 'none'})`,
      );
      info(
        'restart running serve/worker processes: they loaded the keys at start and cannot read the re-encrypted secrets until then',
      );
    } else if (reencrypted === 0) {
      info(envSteps(config));
    }
  }
  return EXIT.ok;
}

/** Throws (exit 1) naming the key ids that are missing when any secret cannot be decrypted. */
async function assertAllReadable(services: AppServices, secrets: SecretBox, config: Config): Promise<number> {
  const rows = await new DestinationRepository(services.database.db).listAll();
  const missing = new Set<string>();
  for (const row of rows) {
    try {
      secrets.open(row.secret_enc, secretAad(row.user_id, row.id));
    } catch {
      let kid = 'unknown';
      try {
        kid = secrets.keyIdOf(row.secret_enc);
      } catch {
        // not an envelope at all
      }
      missing.add(kid);
    }
  }
  if (missing.size > 0) {
    throw new CliError(
      `nothing was changed: some destination secrets cannot be decrypted (key id ${[...missing].join(', ')})`,
      EXIT.failure,
      'MASTER_KEY_MISSING',
      `Put the key they were sealed with back first: ${config.masterKey === undefined ? '' : 'as BUCKETLOAD_MASTER_KEY or '}as a line of ${path.join(config.dataDir, KEY_FILE)}.`,
    );
  }
  return rows.length;
}

function fileKeyIds(dataDir: string): string[] {
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => masterKeyFrom(decodeMasterKey(line)).kid);
}

function envSteps(config: Config): string {
  const file = path.join(config.dataDir, KEY_FILE);
  return [
    'Every secret is already sealed with BUCKETLOAD_MASTER_KEY; rotate cannot change that variable. To rotate:',
    `  1. append the current key to ${file} (chmod 600): it keeps the old secrets readable`,
    '  2. set BUCKETLOAD_MASTER_KEY to a new key (bucketload master-key generate)',
    '  3. run bucketload master-key rotate again: every secret is re-encrypted under the new key',
    '  4. restart serve/worker processes with the new variable',
  ].join('\n');
}
