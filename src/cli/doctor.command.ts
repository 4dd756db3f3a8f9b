import type { Command } from 'commander';
import { EXIT, runCommand } from './context.js';

/**
 * `bucketload doctor`: checks what an import needs (yt-dlp, ffmpeg, ffprobe, the database, the data
 * dir, managed storage, the egress settings, the master key) and says what to fix. It changes
 * nothing but probe files it removes again; it never applies migrations.
 */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check tools, versions, database, storage, egress and master key, and say what to fix')
    .option('--json', 'print { ok, checks: [{ name, status, summary, fix?, details? }] }', false)
    .addHelpText(
      'after',
      '\nExit codes: 0 every check passed (warnings allowed), 1 at least one check failed, 3 configuration.',
    )
    .action(async (opts: { json: boolean }) => {
      await runCommand(opts.json, async () => (await import('./doctor.action.js')).runDoctor(opts.json));
      process.exit(process.exitCode ?? EXIT.ok);
    });
}
