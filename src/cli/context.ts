import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { AppError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { Runtime } from '../app/runtime.js';

/** Exit codes shared by every command (documented in docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, notFound: 4, interrupted: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * A problem a command reports and ends with: a message for stderr (or the JSON error object) and
 * the exit code. Thrown inside `runCommand`, which prints it; never leaves the CLI.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string = exitCode === EXIT.usage
      ? 'USAGE'
      : exitCode === EXIT.notFound
        ? 'NOT_FOUND'
        : 'FAILED',
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, EXIT.usage, 'USAGE', hint);
}

/** Input the user typed wrong (not a bucket's answer such as INVALID_ACCESS_KEY_ID). */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'VALIDATION_FAILED',
  'INVALID_URL',
  'INVALID_ENDPOINT',
  'INVALID_KEY',
  'INVALID_STORAGE_CLASS',
  'INVALID_ACL',
]);

/** The exit code for a domain error: not found → 4, bad input → 2, anything else → 1. */
export function exitCodeOf(error: AppError): ExitCode {
  if (error.code.endsWith('_NOT_FOUND')) return EXIT.notFound;
  if (USAGE_CODES.has(error.code)) return EXIT.usage;
  return EXIT.failure;
}

export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT.config);
    }
    throw error;
  }
}

/** Runs `fn` with a runtime (database migrated) and closes it afterwards. */
export async function withRuntime<T>(
  fn: (runtime: Runtime, config: Config, logger: Logger) => Promise<T>,
  level?: string,
): Promise<T> {
  const config = configOrExit();
  const logger = cliLogger(config, level);
  // Loaded here, not at the top: `--help` and usage errors should not pay for the whole app.
  const { createRuntime } = await import('../app/runtime.js');
  const runtime = await createRuntime(config, logger);
  try {
    return await fn(runtime, config, logger);
  } finally {
    await runtime.close();
  }
}

/** Logs go to stderr, quieter than a server's: a one-shot command shows warnings and errors only. */
export function cliLogger(config: Config, level?: string): Logger {
  return createLogger(level ?? (config.logLevel === 'info' ? 'warn' : config.logLevel), process.stderr);
}

/**
 * Runs a command body and turns what it throws into output and an exit code: CliError and AppError
 * are printed (as `{"error":…}` on stdout with --json, else on stderr), anything else is a bug and
 * its stack goes to stderr with exit 1.
 */
export async function runCommand(json: boolean, fn: () => Promise<ExitCode | void>): Promise<void> {
  let code: ExitCode;
  try {
    const returned = await fn();
    // A body that returns nothing may have set process.exitCode itself.
    if (returned === undefined) return;
    code = returned;
  } catch (error) {
    if (error instanceof CliError || error instanceof AppError) {
      const body = {
        code: error.code,
        message: error.message,
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error instanceof AppError && error.field !== undefined ? { field: error.field } : {}),
        ...(error instanceof AppError && error.details !== undefined ? { details: error.details } : {}),
      };
      if (json) process.stdout.write(`${JSON.stringify({ error: body })}\n`);
      else {
        const hint = body.hint === undefined ? '' : `\nhint: ${body.hint}`;
        const usage =
          error instanceof CliError && error.exitCode === EXIT.usage ? '\n(run with --help for usage)' : '';
        process.stderr.write(`error ${body.code}: ${body.message}${hint}${usage}\n`);
      }
      code = error instanceof CliError ? error.exitCode : exitCodeOf(error);
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      code = EXIT.failure;
    }
  }
  process.exitCode = code;
}
