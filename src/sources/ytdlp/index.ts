export {
  createYtdlpClient,
  type DownloadMediaOptions,
  type DownloadResult,
  type ProbeUrlOptions,
  type YtdlpClient,
  type YtdlpClientDeps,
} from './ytdlp-client.js';
export { classifyYtdlpError, ytdlpErrorLine, type YtdlpFailure } from './ytdlp-errors.js';
export { formatArgs, formatSelector } from './ytdlp-format.js';
export { parseYtdlpInfo, type YtdlpEntry, type YtdlpInfo } from './ytdlp-info.js';
export {
  parseProgressLine,
  YtdlpProgressTracker,
  type DownloadProgress,
  type RawYtdlpProgress,
} from './ytdlp-progress.js';
