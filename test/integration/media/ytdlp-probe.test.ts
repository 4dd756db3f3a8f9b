import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, PermanentJobError } from '../../../src/core/errors.js';
import { activeProcessCount } from '../../../src/media/process-runner.js';
import { createYtdlpClient } from '../../../src/sources/ytdlp/ytdlp-client.js';
import { runner, TOOLS } from './support/media-tools.js';
import { startRecordingProxy } from './support/recording-proxy.js';
import { startYtdlpSite, type YtdlpSite } from './support/ytdlp-site.js';

// Real: yt-dlp 2023.03.04 (generic + html5 extractors) against a node:http site on 127.0.0.1.

const ytdlp = createYtdlpClient({ runner, ytdlpPath: TOOLS.ytdlpPath, ffmpegPath: TOOLS.ffmpegPath });
const signal = new AbortController().signal;
let site: YtdlpSite;
let origin = '';

beforeAll(async () => {
  site = await startYtdlpSite();
  origin = site.server.origin;
});

afterAll(async () => {
  await site.close();
  expect(activeProcessCount()).toBe(0);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('yt-dlp probe (real yt-dlp, loopback site)', () => {
  it('describes a page with one <video> by its title', async () => {
    const info = await ytdlp.probeUrl(`${origin}/one.html`, { signal });
    expect(info).toMatchObject({
      title: 'My Test Clip',
      extractor: 'html5',
      webpageUrl: `${origin}/one.html`,
      isPlaylist: false,
    });
    expect(info.duration).toBeUndefined(); // html5 pages carry no duration: probe the file
  });

  it('lists a page with three videos as a playlist of three', async () => {
    const info = await ytdlp.probeUrl(`${origin}/three.html`, { signal, playlist: true });
    expect(info.isPlaylist).toBe(true);
    expect(info.title).toBe('Three Clips');
    expect(info.entries?.map((e) => e.url)).toEqual([
      `${origin}/clip.mp4`,
      `${origin}/clip.mp4?b`,
      `${origin}/clip.mp4?c`,
    ]);
    expect(info.playlistCount).toBe(3);
  });

  it('honours maxItems, and describes only the first item when not asked for a playlist', async () => {
    const [two, first] = await Promise.all([
      ytdlp.probeUrl(`${origin}/three.html`, { signal, playlist: true, maxItems: 2 }),
      ytdlp.probeUrl(`${origin}/three.html`, { signal }),
    ]);
    expect(two.entries).toHaveLength(2);
    expect(first).toMatchObject({ isPlaylist: false, title: 'Three Clips (1)' });
  });

  it('classifies a 404, a page without media and a refused connection', async () => {
    const port = await closedPort();
    const [missing, none, refused] = await Promise.all(
      [`${origin}/missing.html`, `${origin}/none.html`, `http://127.0.0.1:${port}/x.html`].map((u) =>
        ytdlp.probeUrl(u, { signal }).catch((e: unknown) => e),
      ),
    );
    expect(missing).toBeInstanceOf(PermanentJobError);
    expect(missing).toMatchObject({ code: 'SOURCE_HTTP_ERROR', details: { httpStatus: 404 } });
    expect(none).toBeInstanceOf(PermanentJobError);
    expect((none as AppError).code).toBe('UNSUPPORTED_URL');
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'SOURCE_UNREACHABLE', retryable: true });
  });

  it('goes through the given proxy, even with NO_PROXY set for the host in the environment', async () => {
    const proxy = await startRecordingProxy();
    const saved = process.env['NO_PROXY'];
    process.env['NO_PROXY'] = '127.0.0.1,localhost';
    try {
      const info = await ytdlp.probeUrl(`${origin}/one.html`, { signal, proxy: proxy.url });
      expect(info.title).toBe('My Test Clip');
      expect(proxy.seen).toContain(`${origin}/one.html`);
    } finally {
      if (saved === undefined) delete process.env['NO_PROXY'];
      else process.env['NO_PROXY'] = saved;
      await proxy.close();
    }
  });

  it('refuses non-http URLs without running yt-dlp', async () => {
    const err = await ytdlp.probeUrl('file:///etc/passwd', { signal }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('INVALID_URL');
  });
});
