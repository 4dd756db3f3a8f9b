import { PermanentJobError } from '../../core/errors.js';

export interface YtdlpEntry {
  /** What to import for this entry: the entry's page or, for html5/generic pages, the media URL. */
  readonly url: string;
  readonly title: string;
  readonly id?: string;
  readonly duration?: number;
}

/** What yt-dlp found at a URL, reduced to what bucketload uses. */
export interface YtdlpInfo {
  readonly id?: string;
  readonly title: string;
  readonly extractor: string;
  readonly webpageUrl: string;
  /** Seconds, when the site says; the generic and html5 extractors never do (probe the file). */
  readonly duration?: number;
  /** True only when asked for a playlist and the URL holds several media. */
  readonly isPlaylist: boolean;
  readonly entries?: readonly YtdlpEntry[];
  /** How many items the playlist has in all (entries may be fewer with `maxItems`). */
  readonly playlistCount?: number;
  /** yt-dlp's guess of the extension; `unknown_video` for URLs without one. Not trusted. */
  readonly ext?: string;
  readonly thumbnailUrl?: string;
}

type Raw = Record<string, unknown>;

function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function positiveNumber(raw: Raw, key: string): number | undefined {
  const v = raw[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The html5 extractor numbers every `<video>` of a page ("My Test Clip (1)") even when there is
 * only one; a single video keeps the page's own title.
 */
function cleanTitle(raw: Raw, single: boolean): string | undefined {
  const title = str(raw, 'title');
  if (title === undefined) return undefined;
  if (single && str(raw, 'extractor') === 'html5') return title.replace(/ \(1\)$/, '');
  return title;
}

function toEntry(raw: Raw): YtdlpEntry | undefined {
  const url = str(raw, 'url') ?? str(raw, 'webpage_url');
  if (url === undefined) return undefined;
  const id = str(raw, 'id');
  const duration = positiveNumber(raw, 'duration');
  return {
    url,
    title: str(raw, 'title') ?? id ?? url,
    ...(id !== undefined ? { id } : {}),
    ...(duration !== undefined ? { duration } : {}),
  };
}

function single(raw: Raw, requestedUrl: string, fromPlaylist: boolean): YtdlpInfo {
  const id = str(raw, 'id');
  const duration = positiveNumber(raw, 'duration');
  const ext = str(raw, 'ext');
  const thumbnailUrl = str(raw, 'thumbnail');
  const webpageUrl = str(raw, 'webpage_url') ?? requestedUrl;
  return {
    ...(id !== undefined ? { id } : {}),
    title: cleanTitle(raw, !fromPlaylist) ?? id ?? webpageUrl,
    extractor: str(raw, 'extractor') ?? str(raw, 'extractor_key') ?? 'unknown',
    webpageUrl,
    ...(duration !== undefined ? { duration } : {}),
    isPlaylist: false,
    ...(ext !== undefined ? { ext } : {}),
    ...(thumbnailUrl !== undefined ? { thumbnailUrl } : {}),
  };
}

/**
 * Reads yt-dlp's `-J` output. In single mode a playlist (a page with several `<video>` tags is
 * one) is reduced to its first entry, the one `--playlist-items 1` kept.
 */
export function parseYtdlpInfo(
  value: unknown,
  options: { playlist: boolean; requestedUrl: string },
): YtdlpInfo {
  if (!isRaw(value)) {
    throw new PermanentJobError('NO_MEDIA_FOUND', { message: 'yt-dlp found nothing at this URL.' });
  }
  const rawEntries = value['entries'];
  const isPlaylistJson = value['_type'] === 'playlist' || Array.isArray(rawEntries);
  if (!isPlaylistJson) return single(value, options.requestedUrl, false);

  const entriesRaw = Array.isArray(rawEntries) ? rawEntries.filter(isRaw) : [];
  if (!options.playlist) {
    const first = entriesRaw[0];
    if (first === undefined)
      throw new PermanentJobError('NO_MEDIA_FOUND', { message: 'The playlist is empty.' });
    return single(first, options.requestedUrl, true);
  }
  const entries = entriesRaw.map(toEntry).filter((e): e is YtdlpEntry => e !== undefined);
  if (entries.length === 0)
    throw new PermanentJobError('NO_MEDIA_FOUND', { message: 'The playlist is empty.' });
  const id = str(value, 'id');
  const webpageUrl = str(value, 'webpage_url') ?? options.requestedUrl;
  const playlistCount = positiveNumber(value, 'playlist_count');
  return {
    ...(id !== undefined ? { id } : {}),
    title: str(value, 'title') ?? id ?? webpageUrl,
    extractor: str(value, 'extractor') ?? str(value, 'extractor_key') ?? 'unknown',
    webpageUrl,
    isPlaylist: true,
    entries,
    playlistCount: playlistCount ?? entries.length,
  };
}
