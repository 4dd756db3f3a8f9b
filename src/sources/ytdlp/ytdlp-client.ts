import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError, PermanentJobError, toError } from '../../core/errors.js';
import type { MediaFormatRequest } from '../../media/media-format.js';
import type { ProcessRunner } from '../../media/process-runner.js';
import { classifyYtdlpError } from './ytdlp-errors.js';
import { formatArgs } from './ytdlp-format.js';
import { parseYtdlpInfo, type YtdlpInfo } from './ytdlp-info.js';
import { parseProgressLine, YtdlpProgressTracker, type DownloadProgress } from './ytdlp-progress.js';

export interface YtdlpClientDeps {
  readonly runner: ProcessRunner;
  readonly ytdlpPath: string;
  /** yt-dlp needs ffmpeg to merge video+audio and to fix HLS downloads. */
  readonly ffmpegPath?: string;
  /** Seconds yt-dlp waits on a silent connection. Default 30. */
  readonly socketTimeoutSeconds?: number;
}

export interface ProbeUrlOptions {
  readonly signal: AbortSignal;
  /** List a playlist's entries (flat) instead of describing its first item. */
  readonly playlist?: boolean;
  /** At most this many entries of a playlist. */
  readonly maxItems?: number;
  /** An http(s)/socks proxy URL yt-dlp connects through (e.g. the egress-filtering proxy). */
  readonly proxy?: string;
}

export interface DownloadMediaOptions {
  readonly signal: AbortSignal;
  /** An empty directory owned by this attempt; the file is written as `<dir>/media.<ext>`. */
  readonly dir: string;
  readonly format: MediaFormatRequest;
  readonly proxy?: string;
  readonly maxFileBytes?: number;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadResult {
  /** Absolute path of the downloaded (and, if needed, merged) file. Its extension is yt-dlp's guess. */
  readonly path: string;
  readonly sizeBytes: number;
  readonly info: YtdlpInfo;
}

/** The port to yt-dlp: describe a URL, download the media at it. */
export interface YtdlpClient {
  probeUrl(url: string, options: ProbeUrlOptions): Promise<YtdlpInfo>;
  downloadMedia(url: string, options: DownloadMediaOptions): Promise<DownloadResult>;
}

const FILE_PREFIX = 'BUCKETLOAD_FILE ';
const INFO_PREFIX = 'BUCKETLOAD_INFO ';
const INFO_FIELDS = 'id,title,extractor,extractor_key,webpage_url,duration,ext,thumbnail';

function tooLarge(max: number, sizeBytes?: number): PermanentJobError {
  return new PermanentJobError('FILE_TOO_LARGE', {
    message: `The media is larger than the limit of ${max} bytes.`,
    details: { maxFileBytes: max, ...(sizeBytes !== undefined ? { sizeBytes } : {}) },
  });
}

function assertHttpUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new PermanentJobError('INVALID_URL', { cause: toError(err) });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new PermanentJobError('INVALID_URL');
}

/** `%` starts a field in yt-dlp's output template; a literal one in the directory must be doubled. */
function templateDir(dir: string): string {
  return resolve(dir).replaceAll('%', '%%');
}

/**
 * Runs the yt-dlp binary. Every run ignores user and system config files (`--ignore-config`: a
 * config could add `--exec`), keeps no cache, and passes the URL after `--` so it can never be
 * read as an option.
 */
export function createYtdlpClient(deps: YtdlpClientDeps): YtdlpClient {
  const common = (proxy: string | undefined): string[] => [
    '--ignore-config',
    '--no-cache-dir',
    '--no-warnings',
    '--socket-timeout',
    String(deps.socketTimeoutSeconds ?? 30),
    ...(proxy !== undefined ? ['--proxy', proxy] : []),
    ...(deps.ffmpegPath !== undefined ? ['--ffmpeg-location', deps.ffmpegPath] : []),
  ];
  // yt-dlp runs on Python; a C locale must not turn a title's non-ASCII characters into errors.
  const baseEnv = { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' };
  // With a proxy (the egress-filtering one), a NO_PROXY inherited from the worker would let Python's
  // urllib bypass it for matching hosts: clear it.
  const envFor = (proxy: string | undefined): Record<string, string> =>
    proxy === undefined ? baseEnv : { ...baseEnv, NO_PROXY: '', no_proxy: '' };

  return {
    async probeUrl(url, options) {
      assertHttpUrl(url);
      const playlist = options.playlist === true;
      const items =
        playlist && options.maxItems !== undefined
          ? ['--playlist-items', `1:${Math.max(1, Math.floor(options.maxItems))}`]
          : [];
      const args = [
        ...common(options.proxy),
        '-J',
        // Even with --no-playlist a page with two <video> tags is a playlist: only
        // --playlist-items keeps yt-dlp from extracting every item.
        ...(playlist ? ['--flat-playlist', ...items] : ['--no-playlist', '--playlist-items', '1']),
        '--',
        url,
      ];
      const result = await deps.runner.run(deps.ytdlpPath, args, {
        signal: options.signal,
        env: envFor(options.proxy),
        stdin: 'ignore',
      });
      const stdout = result.stdout.trim();
      if (result.exitCode !== 0) throw classifyYtdlpError(result);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch (err) {
        throw new AppError('TOOL_FAILED', {
          message: 'yt-dlp printed output that is not JSON.',
          cause: toError(err),
        });
      }
      return parseYtdlpInfo(json, { playlist, requestedUrl: url });
    },

    async downloadMedia(url, options) {
      assertHttpUrl(url);
      const dir = resolve(options.dir);
      const max = options.maxFileBytes;
      const tracker = new YtdlpProgressTracker();
      let filePath: string | undefined;
      let infoJson: unknown;

      const onLine = (line: string): void => {
        const raw = parseProgressLine(line);
        if (raw !== undefined) {
          const progress = tracker.push(raw);
          if (progress === undefined) return;
          // The size limit is enforced here, not with yt-dlp's --max-filesize: that option cannot
          // know a fragmented download's size and, in yt-dlp 2023.03.04, applies to each HLS
          // fragment instead, failing with "The downloaded file is empty". The first progress line
          // carries Content-Length when there is one; throwing makes the runner kill yt-dlp and its
          // ffmpeg at once.
          const exactTotal = progress.totalIsEstimate === true ? undefined : progress.totalBytes;
          if (max !== undefined && (progress.downloadedBytes > max || (exactTotal ?? 0) > max)) {
            throw tooLarge(max);
          }
          options.onProgress?.(progress);
        } else if (line.startsWith(FILE_PREFIX)) {
          filePath = line.slice(FILE_PREFIX.length);
        } else if (line.startsWith(INFO_PREFIX)) {
          try {
            infoJson = JSON.parse(line.slice(INFO_PREFIX.length));
          } catch {
            // Ignored: the download itself is what matters; the info falls back to the URL.
          }
        }
      };

      const args = [
        ...common(options.proxy),
        '--no-playlist',
        '--playlist-items',
        '1',
        '--no-mtime',
        '--newline',
        '--progress',
        '--progress-template',
        'download:PROG %(progress)j',
        '--print',
        `after_move:${FILE_PREFIX}%(filepath)s`,
        '--print',
        `after_move:${INFO_PREFIX}%(.{${INFO_FIELDS}})j`,
        '-o',
        `${templateDir(dir)}/media.%(ext)s`,
        ...formatArgs(options.format),
        '--',
        url,
      ];
      const result = await deps.runner.run(deps.ytdlpPath, args, {
        signal: options.signal,
        env: envFor(options.proxy),
        stdin: 'ignore',
        maxStdoutBytes: 256 * 1024,
        // yt-dlp prints progress on stderr instead when stdout is the media (`-o -`); accept both.
        onStdoutLine: onLine,
        onStderrLine: (line) => {
          if (line.startsWith('PROG ')) onLine(line);
        },
      });
      if (result.exitCode !== 0) throw classifyYtdlpError(result);

      const path = filePath ?? (await findDownloaded(dir));
      if (path === undefined) {
        throw new AppError('TOOL_FAILED', { message: 'yt-dlp finished without writing a file.' });
      }
      const { size } = await stat(path);
      if (max !== undefined && size > max) {
        throw tooLarge(max, size);
      }
      const info =
        infoJson === undefined
          ? { title: url, extractor: 'unknown', webpageUrl: url, isPlaylist: false }
          : parseYtdlpInfo(infoJson, { playlist: false, requestedUrl: url });
      return { path, sizeBytes: size, info };
    },
  };
}

/** The finished file when yt-dlp did not print its path: `media.<ext>`, not a part or fragment. */
async function findDownloaded(dir: string): Promise<string | undefined> {
  const names = await readdir(dir);
  const done = names.filter((n) => /^media\.[A-Za-z0-9_]+$/.test(n));
  return done.length === 1 ? join(dir, done[0] as string) : undefined;
}
