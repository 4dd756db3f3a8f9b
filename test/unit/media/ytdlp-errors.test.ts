import { describe, expect, it } from 'vitest';
import { AppError, PermanentJobError } from '../../../src/core/errors.js';
import { classifyYtdlpError, ytdlpErrorLine } from '../../../src/sources/ytdlp/ytdlp-errors.js';

// Pure logic: stderr texts as yt-dlp prints them (the 404 and Unsupported URL lines are verbatim
// from yt-dlp 2023.03.04 on this machine).

const classify = (stderr: string, exitCode: number | null = 1) => classifyYtdlpError({ exitCode, stderr });

describe('yt-dlp error classification (pure)', () => {
  it.each([
    [
      "ERROR: [generic] None: Unable to download webpage: HTTP Error 404: File not found (caused by <HTTPError 404: 'File not found'>); please report this issue on  https://github.com/yt-dlp/yt-dlp/issues?q= , filling out the appropriate issue template.",
      'SOURCE_HTTP_ERROR',
      false,
    ],
    ['ERROR: Unsupported URL: http://127.0.0.1:8080/none.html', 'UNSUPPORTED_URL', false],
    [
      "ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video",
      'MEDIA_UNAVAILABLE',
      false,
    ],
    [
      'ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader',
      'MEDIA_UNAVAILABLE',
      false,
    ],
    [
      'ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.',
      'MEDIA_UNAVAILABLE',
      false,
    ],
    [
      'ERROR: [vimeo] 1: The uploader has not made this video available in your country',
      'MEDIA_UNAVAILABLE',
      false,
    ],
    ['ERROR: [generic] x: No video formats found!', 'NO_MEDIA_FOUND', false],
    [
      'ERROR: [generic] x: Requested format is not available. Use --list-formats for a list of available formats',
      'NO_MEDIA_FOUND',
      false,
    ],
    [
      'ERROR: File is larger than max-filesize (960883 bytes > 1000 bytes). Aborting.',
      'FILE_TOO_LARGE',
      false,
    ],
    [
      "ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno 111] Connection refused> (caused by URLError(ConnectionRefusedError(111, 'Connection refused')))",
      'SOURCE_UNREACHABLE',
      true,
    ],
    ['ERROR: [generic] x: Unable to download webpage: The read operation timed out', 'SOURCE_TIMEOUT', true],
    [
      'ERROR: [generic] x: Unable to download webpage: HTTP Error 503: Service Unavailable',
      'SOURCE_HTTP_ERROR',
      true,
    ],
    [
      'ERROR: [generic] x: Unable to download webpage: HTTP Error 429: Too Many Requests',
      'SOURCE_HTTP_ERROR',
      true,
    ],
    [
      'Traceback (most recent call last):\n  File "yt_dlp/__init__.py"\nKeyError: \'formats\'',
      'TOOL_FAILED',
      true,
    ],
  ])('%s → %s', (stderr, code, permanent) => {
    const err = classify(stderr);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(code);
    expect(err instanceof PermanentJobError).toBe(!permanent);
    expect(err.retryable).toBe(permanent);
  });

  it('records the HTTP status', () => {
    expect(classify('ERROR: HTTP Error 410: Gone').details).toEqual({ httpStatus: 410 });
  });

  it('keeps the ERROR line without boilerplate, and masks credentials in URLs', () => {
    const line = ytdlpErrorLine(
      '[debug] noise\nERROR: [generic] None: Unable to download webpage: HTTP Error 404: File not found (caused by <HTTPError 404>); please report this issue on https://x\n',
    );
    expect(line).toBe('[generic] None: Unable to download webpage: HTTP Error 404: File not found');
    expect(
      classify('ERROR: Unable to connect to proxy http://user:hunter2@127.0.0.1:3128 timed out').message,
    ).not.toContain('hunter2');
  });

  it('names the exit code when yt-dlp printed nothing', () => {
    expect(classify('', 2).message).toMatch(/exited with 2/);
  });
});
