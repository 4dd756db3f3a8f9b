import { loadConfig, ConfigError, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createRuntime, type Runtime } from '../app/runtime.js';

/** Exit codes shared by every command (documented in docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2, config: 3, notFound: 4 } as const;

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
export async function withRuntime<T>(fn: (runtime: Runtime, config: Config, logger: Logger) => Promise<T>, level?: string): Promise<T> {
  const config = configOrExit();
  const logger = createLogger(level ?? (config.logLevel === 'info' ? 'warn' : config.logLevel), process.stderr);
  const runtime = await createRuntime(config, logger);
  try {
    return await fn(runtime, config, logger);
  } finally {
    await runtime.close();
  }
}
