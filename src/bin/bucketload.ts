#!/usr/bin/env node
import { AppError } from '../core/errors.js';
import { buildProgram } from '../cli/program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof AppError) {
      process.stderr.write(
        `error ${error.code}: ${error.message}${error.hint === undefined ? '' : `\nhint: ${error.hint}`}\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
