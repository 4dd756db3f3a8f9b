// Real parts: the HTTP app on a loopback port with in-process workers, SQLite, local managed
// storage, yt-dlp, ffmpeg and ffprobe, and a loopback origin serving a 30 s clip generated here by
// ffmpeg (long enough that its HLS ladder is still encoding when the cancel arrives).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeProcessCount, activeProcessIds } from '../../../src/media/process-runner.js';
import { tempDir, testDatabases } from '../../support/databases.js';
import { startTestApp, waitFor, type TestApp } from '../../support/test-app.js';
import { filesUnder, page, startLoopbackSite, watchImport, type LoopbackSite } from './media-api-support.js';

const execFileP = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('cancel during a transcode (SQLite)', () => {
  let site: LoopbackSite;
  let t: TestApp;

  beforeAll(async () => {
    const dir = await tempDir('long-clip-');
    const clip = path.join(dir, 'long.mp4');
    // prettier-ignore
    await execFileP('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=854x480:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000',
      '-t', '30', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', clip,
    ], { timeout: 60_000 });
    site = await startLoopbackSite({
      '/long.html': page('Long Clip', '<video src="/long.mp4" controls></video>'),
      '/long.mp4': { type: 'video/mp4', file: clip },
    });
    const [sqlite] = testDatabases();
    t = await startTestApp({ databaseUrl: await sqlite!.makeUrl(), workers: 1 });
  });
  afterAll(async () => {
    await t?.close();
    await site?.close();
  });

  it('kills ffmpeg, removes the temp dir and stores nothing', async () => {
    const created = await t.request('POST', '/v1/imports', {
      key: t.adminKey,
      body: { url: site.url('/long.html'), outputs: ['file', 'hls'] },
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    // In the processing phase with a tool running: ffmpeg is encoding the ladder.
    await waitFor(
      () => t.request('GET', `/v1/imports/${id}`, { key: t.adminKey }),
      (r) => r.body.phase === 'processing' && activeProcessCount() > 0,
      60_000,
    );
    const running = activeProcessIds();
    expect(running.length).toBeGreaterThan(0);
    expect(filesUnder(path.join(t.dataDir, 'work')).length).toBeGreaterThan(0);

    const canceled = await t.request('POST', `/v1/imports/${id}/cancel`, { key: t.adminKey });
    expect(canceled.status).toBe(200);
    const { final } = await watchImport(t, t.adminKey, id);
    expect(final.status).toBe('canceled');
    expect(final.error.code).toBe('JOB_CANCELED');

    expect(activeProcessCount()).toBe(0);
    for (const pid of running) expect(alive(pid)).toBe(false);
    expect(filesUnder(path.join(t.dataDir, 'work'))).toEqual([]);
    expect(
      filesUnder(path.join(t.dataDir, 'objects')).filter((f) => !f.split('/').some((s) => s.startsWith('.'))),
    ).toEqual([]);
    expect(final.result).toBeNull();
  });
});
