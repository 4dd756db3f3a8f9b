import { describe, expect, it } from 'vitest';
import { PermanentJobError } from '../../../src/core/errors.js';
import { parseYtdlpInfo } from '../../../src/sources/ytdlp/ytdlp-info.js';

// Pure logic: trimmed `-J` outputs of yt-dlp 2023.03.04 for loopback pages.

const page = 'http://127.0.0.1:8080/one.html';

describe('yt-dlp info parsing (pure)', () => {
  it('drops the " (1)" html5 adds to the only video of a page', () => {
    const info = parseYtdlpInfo(
      {
        _type: 'video',
        id: 'one-1',
        title: 'My Test Clip (1)',
        extractor: 'html5',
        webpage_url: page,
        ext: 'mp4',
      },
      { playlist: false, requestedUrl: page },
    );
    expect(info).toEqual({
      id: 'one-1',
      title: 'My Test Clip',
      extractor: 'html5',
      webpageUrl: page,
      isPlaylist: false,
      ext: 'mp4',
    });
  });

  const three = {
    _type: 'playlist',
    id: 'three',
    title: 'Three Clips',
    extractor: 'generic',
    webpage_url: 'http://h/three.html',
    playlist_count: 3,
    entries: [
      {
        title: 'Three Clips (1)',
        url: 'http://h/a.mp4',
        extractor: 'html5',
        webpage_url: 'http://h/three.html',
        id: 'three-1',
      },
      {
        title: 'Three Clips (2)',
        url: 'http://h/b.mp4',
        extractor: 'html5',
        webpage_url: 'http://h/three.html',
        id: 'three-2',
      },
      {
        title: 'Three Clips (3)',
        url: 'http://h/c.mp4',
        extractor: 'html5',
        webpage_url: 'http://h/three.html',
        id: 'three-3',
      },
    ],
  };

  it('lists playlist entries when asked for a playlist', () => {
    const info = parseYtdlpInfo(three, { playlist: true, requestedUrl: 'http://h/three.html' });
    expect(info.isPlaylist).toBe(true);
    expect(info.playlistCount).toBe(3);
    expect(info.entries?.map((e) => [e.url, e.title])).toEqual([
      ['http://h/a.mp4', 'Three Clips (1)'],
      ['http://h/b.mp4', 'Three Clips (2)'],
      ['http://h/c.mp4', 'Three Clips (3)'],
    ]);
  });

  it('describes the first entry otherwise (a page with several <video> is always a playlist)', () => {
    const info = parseYtdlpInfo(three, { playlist: false, requestedUrl: 'http://h/three.html' });
    expect(info).toMatchObject({ isPlaylist: false, title: 'Three Clips (1)', id: 'three-1' });
  });

  it('treats null and empty playlists as NO_MEDIA_FOUND', () => {
    for (const value of [null, { _type: 'playlist', entries: [] }]) {
      const err = (() => {
        try {
          parseYtdlpInfo(value, { playlist: true, requestedUrl: page });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(PermanentJobError);
      expect((err as PermanentJobError).code).toBe('NO_MEDIA_FOUND');
    }
  });

  it('keeps a positive duration and falls back to the requested URL', () => {
    const info = parseYtdlpInfo(
      { title: 'T', extractor_key: 'Generic', duration: 12.5 },
      { playlist: false, requestedUrl: page },
    );
    expect(info).toMatchObject({ duration: 12.5, webpageUrl: page, extractor: 'Generic' });
  });
});
