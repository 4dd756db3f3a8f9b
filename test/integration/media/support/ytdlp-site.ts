import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ffmpegRaw, makeClip, makeTempDir } from './media-tools.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export interface YtdlpSite {
  readonly server: StaticServer;
  readonly dir: string;
  readonly clipBytes: number;
  close(): Promise<void>;
}

const page = (title: string, body: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

/**
 * A loopback site for yt-dlp: a page with one <video> ("My Test Clip"), a page with three, a page
 * without media, an HLS stream (4 one-second segments), a DASH stream (separate video and audio) and
 * a throttled copy of the clip under /slow/. Anything else answers 404.
 */
export async function startYtdlpSite(options: { hls?: boolean; dash?: boolean } = {}): Promise<YtdlpSite> {
  const { dir, cleanup } = await makeTempDir('ytdlp-site');
  const clip = await makeClip(join(dir, 'clip.mp4'), { seconds: 2, faststart: true });
  const jobs: Promise<void>[] = [];
  if (options.hls === true) {
    await mkdir(join(dir, 'hls'));
    jobs.push(
      ffmpegRaw([
        '-i',
        clip,
        '-c',
        'copy',
        '-f',
        'hls',
        '-hls_time',
        '0.5',
        '-hls_playlist_type',
        'vod',
        '-hls_segment_filename',
        join(dir, 'hls', 'seg_%03d.ts'),
        join(dir, 'hls', 'index.m3u8'),
      ]),
    );
  }
  if (options.dash === true) {
    await mkdir(join(dir, 'dash'));
    jobs.push(
      ffmpegRaw([
        '-i',
        clip,
        '-map',
        '0:v',
        '-map',
        '0:a',
        '-c',
        'copy',
        '-f',
        'dash',
        '-seg_duration',
        '1',
        '-adaptation_sets',
        'id=0,streams=v id=1,streams=a',
        join(dir, 'dash', 'manifest.mpd'),
      ]),
    );
  }
  await Promise.all(jobs);
  const { size } = await stat(clip);
  const server = await startStaticServer(
    dir,
    {
      '/one.html': page('My Test Clip', '<video src="/clip.mp4" controls></video>'),
      '/three.html': page(
        'Three Clips',
        '<video src="/clip.mp4"></video><video src="/clip.mp4?b"></video><video src="/clip.mp4?c"></video>',
      ),
      '/none.html': page('Nothing Here', '<p>No media on this page.</p>'),
      '/slow.html': page('Slow Clip', '<video src="/slow/clip.mp4"></video>'),
    },
    { slowBytesPerTick: 8 * 1024 },
  );
  return {
    server,
    dir,
    clipBytes: size,
    close: async () => {
      await server.close();
      await cleanup();
    },
  };
}
