import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMediaServer, type MediaServer } from '../../support/media-server.js';

// Real: yt-dlp (system binary) against the loopback media server.

const execFileP = promisify(execFile);

async function ytDlpJson(url: string): Promise<Record<string, unknown>> {
  // --proxy '' forces a direct connection even if the environment names a proxy.
  const { stdout } = await execFileP(
    'yt-dlp',
    ['--ignore-config', '--no-cache-dir', '--proxy', '', '-J', url],
    { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('yt-dlp against the media server (real yt-dlp)', () => {
  let server: MediaServer;
  beforeAll(async () => {
    server = await startMediaServer(inject('fixtures'));
  });
  afterAll(async () => {
    await server.close();
  });

  it('finds the <video> on /page/video.html', async () => {
    const info = await ytDlpJson(server.url('/page/video.html'));
    // yt-dlp's html5 extractor numbers the page's media entries: "Loopback Test Clip (1)".
    expect(info['title']).toMatch(/^Loopback Test Clip( \(1\))?$/);
    expect(info['_type'] ?? 'video').toBe('video');
    const formats = (info['formats'] as Array<{ url: string; ext: string }> | undefined) ?? [];
    const urls = [info['url'], ...formats.map((f) => f.url)];
    expect(urls).toContain(server.url('/media/video.mp4'));
    expect(server.hits('/page/video.html')).toBeGreaterThan(0);
  });

  it('reports a missing page as an HTTP 404 failure', async () => {
    await expect(ytDlpJson(server.url('/status/404'))).rejects.toMatchObject({
      stderr: expect.stringContaining('404'),
    });
  });
});
