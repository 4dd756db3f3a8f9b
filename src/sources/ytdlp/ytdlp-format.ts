import { qualityHeight, type MediaFormatRequest } from '../../media/media-format.js';

/** Containers yt-dlp can merge separate video and audio into. */
const MERGE_CONTAINERS = new Set(['mp4', 'mkv', 'webm', 'mov']);

/** Audio containers and the source audio that can be copied into them without re-encoding. */
const AUDIO_PREFERENCE: Readonly<Record<string, string>> = {
  m4a: 'ba[ext=m4a]',
  mp3: 'ba[ext=mp3]',
  opus: 'ba[acodec^=opus]',
};

/**
 * The yt-dlp `-f` selector for a requested format.
 *
 * - A quality is a cap on height: the best format at or under it, else the best there is (the
 *   output plan then scales it down with ffmpeg). `<=?` keeps formats whose height is unknown,
 *   which is every format of the generic and html5 extractors.
 * - Audio takes the best audio-only format, else the best combined one; ffmpeg extracts it.
 */
export function formatSelector(format: MediaFormatRequest): string {
  if (format.kind === 'audio') {
    const preferred = format.container === undefined ? undefined : AUDIO_PREFERENCE[format.container];
    return preferred === undefined ? 'ba/b' : `${preferred}/ba/b`;
  }
  const cap = qualityHeight(format.quality);
  if (cap === undefined) return 'bv*+ba/b';
  return `bv*[height<=?${cap}]+ba/b[height<=?${cap}]/bv*+ba/b`;
}

/** `-f …` and, for video with a container, `--merge-output-format …`. */
export function formatArgs(format: MediaFormatRequest): string[] {
  const args = ['-f', formatSelector(format)];
  if (format.kind === 'video' && format.container !== undefined && MERGE_CONTAINERS.has(format.container)) {
    args.push('--merge-output-format', format.container);
  }
  return args;
}
