import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  MAX_KEY_BYTES,
  buildObjectKey,
  contentDisposition,
  renameKey,
  sanitizeFileName,
  splitKey,
  truncateUtf8,
  utf8Length,
  validateObjectKey,
  validateUserPath,
} from '../../../src/storage/object-key.js';

// Pure logic: no I/O.

const TITLE = 'Rick Astley - Never Gonna Give You Up';
const base = { title: TITLE, ext: 'mp4', jobId: 'job_123' };

function keyError(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_KEY');
    return error as AppError;
  }
  throw new Error('expected INVALID_KEY');
}

describe("buildObjectKey: the Importly seed's four examples", () => {
  it('1. path and filename → videos/2024/my-video.mp4', () => {
    expect(buildObjectKey({ ...base, path: 'videos/2024', filename: 'my-video' })).toBe(
      'videos/2024/my-video.mp4',
    );
  });
  it('2. path only → videos/2024/<title>.mp4', () => {
    expect(buildObjectKey({ ...base, path: 'videos/2024' })).toBe(
      'videos/2024/Rick Astley - Never Gonna Give You Up.mp4',
    );
  });
  it('3. filename only → my-video.mp4, in the root or the default prefix', () => {
    expect(buildObjectKey({ ...base, filename: 'my-video' })).toBe('my-video.mp4');
    expect(buildObjectKey({ ...base, filename: 'my-video', pathPrefix: 'imports' })).toBe(
      'imports/my-video.mp4',
    );
  });
  it('4. neither → <title>.mp4, in the root or the default prefix', () => {
    expect(buildObjectKey(base)).toBe('Rick Astley - Never Gonna Give You Up.mp4');
    expect(buildObjectKey({ ...base, pathPrefix: 'imports/' })).toBe(
      'imports/Rick Astley - Never Gonna Give You Up.mp4',
    );
  });
  it('an explicit path replaces the default prefix (storagePath semantics); "" means the root', () => {
    expect(
      buildObjectKey({ ...base, pathPrefix: 'imports', path: 'videos/2024', filename: 'my-video' }),
    ).toBe('videos/2024/my-video.mp4');
    expect(buildObjectKey({ ...base, pathPrefix: 'imports', path: '', filename: 'my-video' })).toBe(
      'my-video.mp4',
    );
  });
  it('does not double an extension the filename already has', () => {
    expect(buildObjectKey({ ...base, filename: 'my-video.MP4' })).toBe('my-video.mp4');
    expect(buildObjectKey({ ...base, filename: 'clip.mkv' })).toBe('clip.mkv.mp4');
  });
  it('accepts an extension with a dot and no extension at all', () => {
    expect(buildObjectKey({ ...base, ext: '.m4a', filename: 'a' })).toBe('a.m4a');
    expect(buildObjectKey({ ...base, ext: '', filename: 'a' })).toBe('a');
  });
});

describe("buildObjectKey: Tornado's <folder>/<title>.<ext>", () => {
  it('puts the title in the folder', () => {
    expect(buildObjectKey({ title: 'episode-1', ext: 'mp4', jobId: 'j', folder: 'my-folder' })).toBe(
      'my-folder/episode-1.mp4',
    );
  });
  it('without a folder the file is in the root', () => {
    expect(buildObjectKey({ title: 'video-title-1', ext: 'mp4', jobId: 'j' })).toBe('video-title-1.mp4');
  });
  it('trims leading and trailing slashes of the folder', () => {
    expect(buildObjectKey({ title: 't', ext: 'mp4', jobId: 'j', folder: '/a/b/' })).toBe('a/b/t.mp4');
  });
});

describe('titles are sanitised', () => {
  it('replaces / and \\ inside a title so it stays one segment', () => {
    expect(buildObjectKey({ ...base, title: 'AC/DC - Back\\In Black' })).toBe('AC-DC - Back-In Black.mp4');
  });
  it('drops control and bidi-override characters, turns tabs and newlines into spaces', () => {
    expect(sanitizeFileName('a\u0000b\u0007c\u007f\u0085d')).toBe('abcd');
    expect(sanitizeFileName('line one\nline\ttwo')).toBe('line one line two');
    expect(sanitizeFileName('evil\u202Egpj.exe')).toBe('evilgpj.exe');
  });
  it('normalises to NFC', () => {
    const decomposed = 'Cafe\u0301';
    expect(sanitizeFileName(decomposed)).toBe('Caf\u00e9');
    expect(buildObjectKey({ ...base, title: decomposed })).toBe('Caf\u00e9.mp4');
  });
  it('keeps emoji sequences and RTL text intact', () => {
    expect(buildObjectKey({ ...base, title: 'Family 👨‍👩‍👧 🇺🇦' })).toBe('Family 👨‍👩‍👧 🇺🇦.mp4');
    expect(buildObjectKey({ ...base, title: 'שלום עולם' })).toBe('שלום עולם.mp4');
    expect(buildObjectKey({ ...base, title: 'مرحبا بالعالم' })).toBe('مرحبا بالعالم.mp4');
  });
  it('never yields . or .. or an empty name (falls back to the job id)', () => {
    expect(buildObjectKey({ ...base, title: '..' })).toBe('_.mp4');
    expect(buildObjectKey({ ...base, title: '\u0000\u0001' })).toBe('job_123.mp4');
    expect(buildObjectKey({ ...base, title: '   ' })).toBe('job_123.mp4');
  });
  it('replaces lone surrogates', () => {
    expect(sanitizeFileName('bad\ud800name')).toBe('bad\ufffdname');
  });
});

describe('user paths and filenames are validated, not rewritten', () => {
  it('refuses .. and . segments', () => {
    expect(keyError(() => buildObjectKey({ ...base, path: 'videos/../etc' })).field).toBe('path');
    expect(keyError(() => buildObjectKey({ ...base, folder: './x' })).field).toBe('folder');
  });
  it('refuses empty segments and backslashes', () => {
    keyError(() => validateUserPath('a//b', 'path'));
    keyError(() => validateUserPath('a\\b', 'path'));
  });
  it('refuses control characters in path and filename', () => {
    expect(keyError(() => buildObjectKey({ ...base, path: 'a\u0000b' })).field).toBe('path');
    expect(keyError(() => buildObjectKey({ ...base, filename: 'x\ny' })).field).toBe('filename');
  });
  it('refuses folders inside filename', () => {
    expect(keyError(() => buildObjectKey({ ...base, filename: 'a/b' })).field).toBe('filename');
  });
  it('refuses a bad default prefix with its own field', () => {
    expect(keyError(() => buildObjectKey({ ...base, pathPrefix: '../up' })).field).toBe('pathPrefix');
  });
});

describe('the 1,024-byte limit', () => {
  it('truncates the stem and keeps the folder and extension', () => {
    const key = buildObjectKey({ ...base, path: 'videos', title: 'x'.repeat(2_000) });
    expect(utf8Length(key)).toBe(MAX_KEY_BYTES);
    expect(key.startsWith('videos/xxx')).toBe(true);
    expect(key.endsWith('x.mp4')).toBe(true);
  });
  it('never splits a multibyte character at the boundary', () => {
    // 'é' is 2 bytes: room for the stem is 1024 - 4 ('.mp4') = 1020 bytes → 510 'é'.
    const key = buildObjectKey({ ...base, title: 'é'.repeat(600) });
    expect(key).toBe(`${'é'.repeat(510)}.mp4`);
    // 3-byte CJK: 1020 / 3 = 340.
    expect(buildObjectKey({ ...base, title: '漢'.repeat(400) })).toBe(`${'漢'.repeat(340)}.mp4`);
    // A 4-byte emoji that does not fit whole is dropped, not cut: 1 + 4 × 254 = 1017, next needs 4.
    const key2 = buildObjectKey({ ...base, title: `a${'😀'.repeat(300)}` });
    expect(key2).toBe(`a${'😀'.repeat(254)}.mp4`);
    expect(utf8Length(key2)).toBe(1021);
  });
  it('never splits a grapheme cluster (ZWJ family emoji, 18 bytes each)', () => {
    const family = '👨‍👩‍👧';
    expect(utf8Length(family)).toBe(18);
    const key = buildObjectKey({ ...base, title: family.repeat(100) });
    // 1020 / 18 = 56 whole families.
    expect(key).toBe(`${family.repeat(56)}.mp4`);
  });
  it('truncateUtf8 works on exact boundaries', () => {
    expect(truncateUtf8('abc', 3)).toBe('abc');
    expect(truncateUtf8('abé', 3)).toBe('ab');
    expect(truncateUtf8('abé', 4)).toBe('abé');
  });
  it('refuses a folder so long no file name fits', () => {
    expect(keyError(() => buildObjectKey({ ...base, path: 'p'.repeat(1_020) })).field).toBe('path');
  });
  it('validateObjectKey refuses keys over 1,024 bytes and accepts exactly 1,024', () => {
    expect(validateObjectKey('a'.repeat(1_024))).toHaveLength(1_024);
    keyError(() => validateObjectKey('a'.repeat(1_025)));
    keyError(() => validateObjectKey('é'.repeat(513)));
  });
});

describe('validateObjectKey', () => {
  it('refuses empty, dot and dot-dot segments, controls and non-NFC', () => {
    for (const bad of ['', '/a', 'a/', 'a//b', 'a/./b', 'a/../b', '..', 'a\u0000', 'Cafe\u0301'])
      keyError(() => validateObjectKey(bad));
  });
  it('accepts unicode keys', () => {
    expect(validateObjectKey('vidéos/été 2024/🎬 clip.mp4')).toBe('vidéos/été 2024/🎬 clip.mp4');
  });
});

describe('renameKey for ifExists: rename', () => {
  it('adds (n) before the extension', () => {
    expect(renameKey('videos/name.mp4', 1)).toBe('videos/name (1).mp4');
    expect(renameKey('name.mp4', 12)).toBe('name (12).mp4');
  });
  it('handles keys without an extension, dotfiles and double extensions', () => {
    expect(renameKey('a/README', 2)).toBe('a/README (2)');
    expect(renameKey('.env', 1)).toBe('.env (1)');
    expect(renameKey('x/archive.tar.gz', 1)).toBe('x/archive.tar (1).gz');
  });
  it('stays within 1,024 bytes by shortening the stem', () => {
    const long = buildObjectKey({ ...base, title: 'é'.repeat(600) });
    const renamed = renameKey(long, 3);
    expect(utf8Length(renamed)).toBeLessThanOrEqual(MAX_KEY_BYTES);
    expect(renamed.endsWith(' (3).mp4')).toBe(true);
  });
  it('refuses n < 1', () => {
    expect(() => renameKey('a.mp4', 0)).toThrow(RangeError);
  });
  it('splitKey splits the last segment', () => {
    expect(splitKey('a/b/c.mp4')).toEqual({ dir: 'a/b', stem: 'c', ext: 'mp4' });
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 5987)', () => {
    expect(contentDisposition('Vidéo "été" 🎬.mp4')).toBe(
      `attachment; filename="Vid_o __t__ _.mp4"; filename*=UTF-8''Vid%C3%A9o%20%22%C3%A9t%C3%A9%22%20%F0%9F%8E%AC.mp4`,
    );
  });
  it("escapes characters RFC 5987 does not allow raw (' ( ) *)", () => {
    expect(contentDisposition("it's (1)*.txt")).toBe(
      `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`,
    );
  });
  it('is pure ASCII and has no control characters', () => {
    const value = contentDisposition('a\r\nSet-Cookie: x=1\u0000.txt', 'inline');
    expect(/^[\x20-\x7e]+$/u.test(value)).toBe(true);
    expect(value.startsWith('inline; ')).toBe(true);
  });
});
