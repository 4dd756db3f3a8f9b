import { Command, type CommanderError } from 'commander';
import { registerAdminCommands } from './admin.commands.js';
import { EXIT } from './context.js';
import { registerDestinationCommands } from './destinations.commands.js';
import { registerDoctorCommand } from './doctor.command.js';
import { registerImportCommand } from './import.command.js';
import { registerMasterKeyCommands } from './master-key.commands.js';
import { registerServeCommands } from './serve.commands.js';

export function buildProgram(): Command {
  muteSdkNodeVersionWarning();
  const program = new Command('bucketload')
    .description('Import media from a URL into your own S3-compatible bucket.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added, which inherit it: a bad flag or argument exits 2.
    .exitOverride(usageExit);
  registerServeCommands(program);
  registerAdminCommands(program);
  registerImportCommand(program);
  registerDestinationCommands(program);
  registerDoctorCommand(program);
  registerMasterKeyCommands(program);
  return program;
}

/** commander's own exits: help and version stay 0, every parse error becomes the usage code. */
function usageExit(error: CommanderError): void {
  if (error.exitCode !== 0) process.exit(EXIT.usage);
}

/**
 * The pinned AWS SDK prints a NodeVersionSupportWarning on Node 20 (about versions published after
 * January 2027, which package.json does not take) the first time a client is built: in the middle
 * of a progress bar or of --json output on stderr. Every other warning still prints.
 */
function muteSdkNodeVersionWarning(): void {
  const original = process.emitWarning.bind(process);
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('NodeVersionSupportWarning')) return;
    Reflect.apply(original, undefined, [warning, ...rest]);
  };
}
