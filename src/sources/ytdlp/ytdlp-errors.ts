import { AppError, PermanentJobError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/error-codes.js';
import { redactUrlCredentials } from '../../media/tool-output.js';

export interface YtdlpFailure {
  readonly exitCode: number | null;
  readonly stderr: string;
}

interface Rule {
  readonly code: ErrorCode;
  readonly pattern: RegExp;
  /** Whether another attempt could succeed. */
  readonly retryable: boolean;
}

/** Ordered: the first match wins. Messages as printed by yt-dlp 2023.x and later. */
const RULES: readonly Rule[] = [
  { code: 'FILE_TOO_LARGE', pattern: /larger than max-filesize/i, retryable: false },
  { code: 'UNSUPPORTED_URL', pattern: /Unsupported URL/i, retryable: false },
  {
    code: 'MEDIA_UNAVAILABLE',
    pattern:
      /private video|video is private|video (is )?unavailable|has been removed|no longer available|available (in|from) your (country|location|region)|geo.?restrict|sign in to (confirm|view)|login required|requires authentication|members.only|account .* terminated|copyright|age.restricted|confirm your age|premieres in|live event will begin/i,
    retryable: false,
  },
  {
    code: 'NO_MEDIA_FOUND',
    pattern:
      /no video formats found|requested format is not available|there'?s no video|does not contain (any )?(video|media)|no media found|no video could be found|playlist is empty|is not a video/i,
    retryable: false,
  },
  {
    code: 'SOURCE_UNREACHABLE',
    pattern:
      /connection refused|name or service not known|temporary failure in name resolution|no route to host|network is unreachable|getaddrinfo failed|connection reset/i,
    retryable: true,
  },
  { code: 'SOURCE_TIMEOUT', pattern: /timed out|timeout/i, retryable: true },
];

/** The last `ERROR:` line yt-dlp printed, without its "please report this issue" boilerplate. */
export function ytdlpErrorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const error = [...lines].reverse().find((l) => l.startsWith('ERROR:')) ?? lines.at(-1) ?? '';
  const text = redactUrlCredentials(
    error
      .replace(/^ERROR:\s*/, '')
      .replace(/;\s*please report this issue.*$/i, '')
      .replace(/\s*\(caused by .*\)$/i, ''),
  );
  return text.length > 400 ? `${text.slice(0, 399)}…` : text;
}

/**
 * Turns a failed yt-dlp run into a catalogue error. Failures that another attempt cannot fix (an
 * unsupported or removed page, a 404) are `PermanentJobError`s; network trouble, 5xx and unknown
 * failures stay retryable.
 */
export function classifyYtdlpError(failure: YtdlpFailure): AppError {
  const line = ytdlpErrorLine(failure.stderr);
  const message =
    line.length > 0 ? `yt-dlp: ${line}` : `yt-dlp exited with ${failure.exitCode ?? 'a signal'}`;

  const http = /HTTP Error (\d{3})/i.exec(failure.stderr);
  if (http !== null) {
    const status = Number(http[1]);
    const details = { httpStatus: status };
    if (status >= 500 || status === 408 || status === 429) {
      return new AppError('SOURCE_HTTP_ERROR', { message, details, retryable: true });
    }
    return new PermanentJobError('SOURCE_HTTP_ERROR', { message, details });
  }
  for (const rule of RULES) {
    if (!rule.pattern.test(failure.stderr)) continue;
    return rule.retryable
      ? new AppError(rule.code, { message, retryable: true })
      : new PermanentJobError(rule.code, { message });
  }
  return new AppError('TOOL_FAILED', { message, details: { tool: 'yt-dlp' }, retryable: true });
}
