// Real parts: the built CLI as a subprocess, the machine's yt-dlp, ffmpeg and ffprobe, SQLite in a
// temp data dir.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/databases.js';
import { assertBuilt, cliEnv, killLeftovers, runCli } from './cli-support.js';

describe('bucketload doctor', () => {
  beforeAll(() => assertBuilt());
  afterAll(() => expect(killLeftovers()).toBe(0));

  it('passes on a migrated data dir and reports versions, database, storage and egress', async () => {
    const dataDir = await tempDir('cli-doctor-');
    const env = cliEnv(dataDir);
    expect((await runCli(['migrate'], { env })).code).toBe(0);
    const run = await runCli(['doctor', '--json'], { env });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(true);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    for (const tool of ['yt-dlp', 'ffmpeg', 'ffprobe']) {
      expect(byName[tool].status).not.toBe('fail');
      expect(byName[tool].details.version).toMatch(/\d/);
    }
    expect(byName['database']).toMatchObject({ status: 'ok' });
    expect(byName['managed storage']).toMatchObject({ status: 'ok' });
    expect(byName['egress'].summary).toContain('127.0.0.0/8');
    expect(byName['master key'].status).toBe('ok');
  });

  it('fails naming ffmpeg and what to set when its path is broken', async () => {
    const dataDir = await tempDir('cli-doctor-');
    const env = cliEnv(dataDir, { BUCKETLOAD_FFMPEG_PATH: '/nonexistent' });
    const run = await runCli(['doctor'], { env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+ffmpeg\s+cannot run "\/nonexistent"/m);
    expect(run.stdout).toContain('BUCKETLOAD_FFMPEG_PATH');
    expect(run.stdout).toMatch(/^ok\s+ffprobe/m);
    expect(run.stdout).toMatch(/1 problem to fix/);
  });

  it('exits 3 on invalid configuration, naming every problem', async () => {
    const dataDir = await tempDir('cli-doctor-');
    const run = await runCli(['doctor'], {
      env: cliEnv(dataDir, { BUCKETLOAD_EGRESS_ALLOW: 'http://nope', BUCKETLOAD_PORT: 'x' }),
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('BUCKETLOAD_EGRESS_ALLOW');
    expect(run.stderr).toContain('BUCKETLOAD_PORT');
  });
});
