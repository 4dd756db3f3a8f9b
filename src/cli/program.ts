import { Command } from 'commander';
import { registerAdminCommands } from './admin.commands.js';
import { registerServeCommands } from './serve.commands.js';

export function buildProgram(): Command {
  const program = new Command('bucketload')
    .description('Import media from a URL into your own S3-compatible bucket.')
    .version('0.1.0')
    .showHelpAfterError();
  registerServeCommands(program);
  registerAdminCommands(program);
  return program;
}
