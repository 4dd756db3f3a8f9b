// Real parts: the built CLI as a subprocess. Every command answers --help with exit 0.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { tempDir } from '../support/databases.js';
import { assertBuilt, cliEnv, runCli } from './cli-support.js';

describe('bucketload --help', () => {
  it('every command and subcommand has help, and a bare or unknown command is a usage error', async () => {
    assertBuilt();
    const env = cliEnv(await tempDir('cli-help-'));
    // The command tree comes from the program itself, so a new command cannot miss its help.
    const paths: string[][] = [[]];
    const walk = (command: ReturnType<typeof buildProgram>, prefix: string[]) => {
      for (const sub of command.commands) {
        paths.push([...prefix, sub.name()]);
        walk(sub, [...prefix, sub.name()]);
      }
    };
    walk(buildProgram(), []);
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['import', 'destinations test', 'doctor', 'master-key rotate']),
    );
    for (const path of paths) {
      const run = await runCli([...path, '--help'], { env });
      expect({ path, code: run.code }).toEqual({ path, code: 0 });
      expect(run.stdout).toMatch(/^Usage: bucketload/);
    }
    expect((await runCli(['no-such-command'], { env })).code).toBe(2);
  });
});
