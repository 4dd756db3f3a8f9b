import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isAbortError, PermanentJobError } from '../../../src/core/errors.js';
import { probeMedia } from '../../../src/media/ffprobe.js';
import { activeProcessCount, activeProcessIds } from '../../../src/media/process-runner.js';
import { createYtdlpClient } from '../../../src/sources/ytdlp/ytdlp-client.js';
import type { DownloadProgress } from '../../../src/sources/ytdlp/ytdlp-progress.js';
import { isPidAlive, makeTempDir, runner, TOOLS } from './support/media-tools.js';
import { startYtdlpSite, type YtdlpSite } from './support/ytdlp-site.js';

// Real: yt-dlp 2023.03.04 (with ffmpeg for HLS fix-up and DASH merging) against a node:http site
// on 127.0.0.1, and ffprobe on what it wrote.

const ytdlp = createYtdlpClient({ runner, ytdlpPath: TOOLS.ytdlpPath, ffmpegPath: TOOLS.ffmpegPath });
const signal = new AbortController().signal;
let site: YtdlpSite;
let origin = '';
let work: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  site = await startYtdlpSite({ hls: true, dash: true });
  origin = site.server.origin;
});
afterAll(async () => {
  await site.close();
});
beforeEach(async () => {
  work = await makeTempDir('ytdlp-dl');
});
afterEach(async () => {
  await work.cleanup();
  expect(activeProcessCount()).toBe(0);
});

function expectNeverBackwards(events: readonly DownloadProgress[]): void {
  expect(events.length).toBeGreaterThan(1);
  for (let i = 1; i < events.length; i += 1) {
    expect(events[i]!.downloadedBytes).toBeGreaterThanOrEqual(events[i - 1]!.downloadedBytes);
    expect(events[i]!.fraction ?? 0).toBeGreaterThanOrEqual(events[i - 1]!.fraction ?? 0);
  }
}

describe('yt-dlp download (real yt-dlp, loopback site)', () => {
  it('downloads the video of a page into dir/media.<ext> with progress that never decreases', async () => {
    const events: DownloadProgress[] = [];
    const result = await ytdlp.downloadMedia(`${origin}/one.html`, {
      signal,
      dir: work.dir,
      format: { kind: 'video', quality: '720p', container: 'mp4' },
      onProgress: (p) => events.push(p),
    });
    expect(basename(result.path)).toBe('media.mp4');
    expect(result.sizeBytes).toBe(site.clipBytes);
    expect(result.info.title).toBe('My Test Clip');
    expectNeverBackwards(events);
    expect(events.at(-1)).toMatchObject({
      downloadedBytes: site.clipBytes,
      totalBytes: site.clipBytes,
      fraction: 1,
    });
    expect(await readdir(work.dir)).toEqual(['media.mp4']); // no .part or fragments left
  });

  it('downloads HLS (fragments, estimated totals) into a readable mp4, progress never decreasing', async () => {
    const events: DownloadProgress[] = [];
    const result = await ytdlp.downloadMedia(`${origin}/hls/index.m3u8`, {
      signal,
      dir: work.dir,
      format: { kind: 'video', quality: 'best' },
      onProgress: (p) => events.push(p),
    });
    expectNeverBackwards(events);
    expect(events.some((e) => e.fragmentCount !== undefined && e.totalIsEstimate === true)).toBe(true);
    const probe = await probeMedia(result.path, { runner, ffprobePath: TOOLS.ffprobePath, signal });
    expect(probe.kind).toBe('video');
    expect(probe.durationSeconds).toBeCloseTo(2, 0);
  });

  it('merges separate DASH video and audio, counting both parts in one progress', async () => {
    const events: DownloadProgress[] = [];
    const result = await ytdlp.downloadMedia(`${origin}/dash/manifest.mpd`, {
      signal,
      dir: work.dir,
      format: { kind: 'video', container: 'mp4' },
      onProgress: (p) => events.push(p),
    });
    expectNeverBackwards(events);
    expect(basename(result.path)).toBe('media.mp4');
    const probe = await probeMedia(result.path, { runner, ffprobePath: TOOLS.ffprobePath, signal });
    expect(probe.streams.map((s) => s.type).sort()).toEqual(['audio', 'video']);
  });

  it('fails FILE_TOO_LARGE over maxFileBytes', async () => {
    const err = await ytdlp
      .downloadMedia(`${origin}/one.html`, {
        signal,
        dir: work.dir,
        format: { kind: 'original' },
        maxFileBytes: 10_000,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as PermanentJobError).code).toBe('FILE_TOO_LARGE');
  });

  it('stops a fragmented download whose size yt-dlp cannot know once it passes maxFileBytes', async () => {
    const events: DownloadProgress[] = [];
    const err = await ytdlp
      .downloadMedia(`${origin}/hls/index.m3u8`, {
        signal,
        dir: work.dir,
        format: { kind: 'original' },
        maxFileBytes: 100_000,
        onProgress: (p) => events.push(p),
      })
      .catch((e: unknown) => e);
    expect((err as PermanentJobError).code).toBe('FILE_TOO_LARGE');
    expect(events.every((e) => e.downloadedBytes <= 100_000)).toBe(true);
  });

  it('cancel mid-download kills yt-dlp and rejects with an AbortError', async () => {
    const ac = new AbortController();
    let pids: number[] = [];
    const err = await ytdlp
      .downloadMedia(`${origin}/slow.html`, {
        signal: ac.signal,
        dir: work.dir,
        format: { kind: 'original' },
        onProgress: (p) => {
          if (p.downloadedBytes === 0 || pids.length > 0) return;
          pids = activeProcessIds();
          ac.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(pids).toHaveLength(1);
    expect(isPidAlive(pids[0]!)).toBe(false);
    expect((await readdir(work.dir)).filter((n) => n === 'media.mp4')).toEqual([]);
  });
});
