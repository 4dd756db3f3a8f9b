import { openDatabase, type Database } from '../db/database.js';
import { toError } from '../core/errors.js';
import { createNodeProcessRunner } from '../media/process-runner.js';
import {
  checkDataDir,
  checkDatabase,
  checkEgress,
  checkManagedStorage,
  checkMasterKey,
  checkTool,
  toolSpecs,
  type CheckResult,
} from './doctor-checks.js';
import { EXIT, cliLogger, configOrExit, type ExitCode } from './context.js';

/** Runs every check in order, prints them (or one JSON object), and exits 1 when one failed. */
export async function runDoctor(json: boolean): Promise<ExitCode> {
  const config = configOrExit();
  const logger = cliLogger(config, 'error');
  const runner = createNodeProcessRunner();
  const tools = await Promise.all(toolSpecs(config).map((spec) => checkTool(runner, spec)));
  const checks: CheckResult[] = [...tools];

  let database: Database | undefined;
  try {
    database = openDatabase(config.databaseUrl);
  } catch (error) {
    checks.push({
      name: 'database',
      status: 'fail',
      summary: `cannot open: ${toError(error).message}`,
      fix: 'Check BUCKETLOAD_DATABASE_URL and BUCKETLOAD_DATA_DIR.',
    });
  }
  try {
    if (database !== undefined) checks.push(await checkDatabase(config, database));
    const dbUsable = database !== undefined && checks.at(-1)?.status !== 'fail';
    checks.push(await checkDataDir(config));
    checks.push(await checkManagedStorage(config, logger));
    checks.push(checkEgress(config));
    checks.push(await checkMasterKey(config, dbUsable ? database : undefined));
  } finally {
    await database?.close().catch(() => undefined);
  }

  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  if (json) process.stdout.write(`${JSON.stringify({ ok: failed === 0, checks }, null, 2)}\n`);
  else {
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const check of checks) {
      const mark = check.status === 'ok' ? 'ok  ' : check.status === 'warn' ? 'WARN' : 'FAIL';
      process.stdout.write(`${mark}  ${check.name.padEnd(width)}  ${check.summary}\n`);
      if (check.fix !== undefined) process.stdout.write(`      ${''.padEnd(width)}  fix: ${check.fix}\n`);
    }
    process.stdout.write(
      failed === 0
        ? `\nall good${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}\n`
        : `\n${failed} problem${failed === 1 ? '' : 's'} to fix${warned > 0 ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}\n`,
    );
  }
  return failed === 0 ? EXIT.ok : EXIT.failure;
}
