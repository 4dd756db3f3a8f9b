import { describe, expect, it } from 'vitest';
import { formatArgs, formatSelector } from '../../../src/sources/ytdlp/ytdlp-format.js';

// Pure logic: the -f strings handed to yt-dlp.

describe('yt-dlp format selection (pure)', () => {
  it.each([
    [{ kind: 'video' } as const, 'bv*+ba/b'],
    [{ kind: 'video', quality: 'best' } as const, 'bv*+ba/b'],
    [{ kind: 'video', quality: '720p' } as const, 'bv*[height<=?720]+ba/b[height<=?720]/bv*+ba/b'],
    [{ kind: 'video', quality: '2160p' } as const, 'bv*[height<=?2160]+ba/b[height<=?2160]/bv*+ba/b'],
    [{ kind: 'original', quality: '240p' } as const, 'bv*[height<=?240]+ba/b[height<=?240]/bv*+ba/b'],
    [{ kind: 'original' } as const, 'bv*+ba/b'],
    [{ kind: 'audio' } as const, 'ba/b'],
    [{ kind: 'audio', quality: '720p' } as const, 'ba/b'],
    [{ kind: 'audio', container: 'm4a' } as const, 'ba[ext=m4a]/ba/b'],
    [{ kind: 'audio', container: 'opus' } as const, 'ba[acodec^=opus]/ba/b'],
  ])('%j → %s', (format, selector) => {
    expect(formatSelector(format)).toBe(selector);
  });

  it('asks yt-dlp to merge into the requested video container only', () => {
    expect(formatArgs({ kind: 'video', quality: '1080p', container: 'mp4' })).toEqual([
      '-f',
      'bv*[height<=?1080]+ba/b[height<=?1080]/bv*+ba/b',
      '--merge-output-format',
      'mp4',
    ]);
    expect(formatArgs({ kind: 'video', container: 'avi' })).toEqual(['-f', 'bv*+ba/b']);
    expect(formatArgs({ kind: 'audio', container: 'mp3' })).toEqual(['-f', 'ba[ext=mp3]/ba/b']);
    expect(formatArgs({ kind: 'original', container: 'mkv' })).toEqual(['-f', 'bv*+ba/b']);
  });
});
