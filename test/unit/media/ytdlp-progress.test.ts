import { describe, expect, it } from 'vitest';
import {
  parseProgressLine,
  YtdlpProgressTracker,
  type DownloadProgress,
  type RawYtdlpProgress,
} from '../../../src/sources/ytdlp/ytdlp-progress.js';

// Pure logic: sequences shaped like yt-dlp 2023.03.04's `%(progress)j` output on this machine.

function feed(updates: readonly RawYtdlpProgress[]): DownloadProgress[] {
  const tracker = new YtdlpProgressTracker();
  return updates.map((u) => tracker.push(u)).filter((p): p is DownloadProgress => p !== undefined);
}

function expectMonotonic(events: readonly DownloadProgress[]): void {
  for (let i = 1; i < events.length; i += 1) {
    expect(events[i]!.downloadedBytes).toBeGreaterThanOrEqual(events[i - 1]!.downloadedBytes);
    expect(events[i]!.fraction!).toBeGreaterThanOrEqual(events[i - 1]!.fraction!);
  }
}

const hls = (
  downloaded: number,
  estimate: number,
  index: number,
  status = 'downloading',
): RawYtdlpProgress => ({
  status,
  filename: '/tmp/x/media.mp4',
  downloaded_bytes: downloaded,
  total_bytes_estimate: estimate,
  fragment_index: index,
  fragment_count: 2,
});

describe('yt-dlp progress (pure)', () => {
  it('parses PROG lines and ignores anything else', () => {
    expect(parseProgressLine('PROG {"status": "downloading", "downloaded_bytes": 5}')).toEqual({
      status: 'downloading',
      downloaded_bytes: 5,
    });
    expect(parseProgressLine('PROG not json')).toBeUndefined();
    expect(parseProgressLine('[download] 10%')).toBeUndefined();
  });

  it('reports an exact total for a plain file and ends at 1', () => {
    const events = feed([
      { status: 'downloading', filename: 'm.mp4', downloaded_bytes: 1024, total_bytes: 4096 },
      { status: 'downloading', filename: 'm.mp4', downloaded_bytes: 3072, total_bytes: 4096 },
      { status: 'finished', filename: 'm.mp4', downloaded_bytes: 4096, total_bytes: 4096 },
    ]);
    expect(events.map((e) => e.fraction)).toEqual([0.25, 0.75, 1]);
    expect(events[0]).toMatchObject({ totalBytes: 4096, totalIsEstimate: false });
  });

  it('never goes backwards when the HLS estimate grows after a fragment', () => {
    // Real sequence: 119568/239136 = 50 %, then the estimate becomes 265080 → 45 % naively.
    const events = feed([
      hls(1024, 239136, 0),
      hls(119568, 239136, 0),
      hls(119568, 239136, 1),
      hls(120592, 265080, 1),
      hls(184080, 265080, 1),
      hls(265080, 265080, 2),
      { status: 'finished', filename: '/tmp/x/media.mp4', downloaded_bytes: 265080, total_bytes: 265080 },
    ]);
    expectMonotonic(events);
    expect(events[3]!.fraction).toBeGreaterThanOrEqual(0.5);
    expect(events[3]).toMatchObject({ totalIsEstimate: true, fragmentIndex: 1, fragmentCount: 2 });
    expect(events.at(-1)).toMatchObject({ fraction: 1, downloadedBytes: 265080, totalBytes: 265080 });
  });

  it('adds up the video and audio parts of a merged download', () => {
    const events = feed([
      { status: 'downloading', filename: 'd/media.f137.mp4', downloaded_bytes: 500, total_bytes: 1000 },
      { status: 'finished', filename: 'd/media.f137.mp4', downloaded_bytes: 1000, total_bytes: 1000 },
      { status: 'downloading', filename: 'd/media.f140.m4a', downloaded_bytes: 100, total_bytes: 200 },
      { status: 'finished', filename: 'd/media.f140.m4a', downloaded_bytes: 200, total_bytes: 200 },
    ]);
    expectMonotonic(events);
    expect(events.map((e) => e.downloadedBytes)).toEqual([500, 1000, 1100, 1200]);
    expect(events.map((e) => e.fraction)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(events[0]!.totalIsEstimate).toBe(true); // the audio part's size is not known yet
  });

  it('ignores a counter that restarts within one file', () => {
    const events = feed([
      { status: 'downloading', filename: 'm.mp4', downloaded_bytes: 3000, total_bytes: 4000 },
      { status: 'downloading', filename: 'm.mp4', downloaded_bytes: 10, total_bytes: 4000 },
    ]);
    expectMonotonic(events);
    expect(events[1]!.downloadedBytes).toBe(3000);
  });
});
