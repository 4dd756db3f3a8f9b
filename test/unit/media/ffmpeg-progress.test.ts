import { describe, expect, it } from 'vitest';
import { FfmpegProgressParser, parseClock, type MediaProgress } from '../../../src/media/ffmpeg-progress.js';

// Pure logic: `-progress pipe:1` blocks as ffmpeg 5.1 prints them.

function run(total: number | undefined, lines: string): MediaProgress[] {
  const events: MediaProgress[] = [];
  const parser = new FfmpegProgressParser(total, (p) => events.push(p));
  for (const line of lines.trim().split('\n')) parser.push(line);
  return events;
}

describe('ffmpeg progress parser (pure)', () => {
  it('reports media time over the total, ending at 1', () => {
    const events = run(
      4,
      `frame=0\nout_time_us=N/A\nout_time=N/A\nprogress=continue\n` +
        `frame=50\nout_time_us=2000000\nout_time_ms=2000000\nout_time=00:00:02.000000\nprogress=continue\n` +
        `frame=100\nout_time_us=3980000\nout_time=00:00:03.980000\nprogress=end`,
    );
    expect(events.map((e) => e.fraction)).toEqual([0, 0.5, 1]);
    expect(events[1]).toEqual({ processedSeconds: 2, totalSeconds: 4, fraction: 0.5 });
  });

  it('ignores negative and backward times', () => {
    const events = run(
      10,
      `out_time_us=-577014\nprogress=continue\nout_time_us=5000000\nprogress=continue\nout_time_us=4900000\nprogress=continue`,
    );
    expect(events.map((e) => e.processedSeconds)).toEqual([0, 5, 5]);
  });

  it('works without a known total', () => {
    expect(run(undefined, 'out_time=00:01:02.500000\nprogress=continue')).toEqual([
      { processedSeconds: 62.5 },
    ]);
  });

  it('parses clocks', () => {
    expect(parseClock('01:00:01.5')).toBe(3601.5);
    expect(parseClock('N/A')).toBeUndefined();
    expect(parseClock('-00:00:01.000000')).toBeUndefined();
  });
});
