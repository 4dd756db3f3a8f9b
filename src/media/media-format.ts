/**
 * What a job asks for, as the media layer sees it. Structurally the same as the job's
 * `FormatRequest` and `FileRole` (src/jobs), declared here so media does not depend on jobs.
 */
export type MediaFormatKind = 'video' | 'audio' | 'original';
export type MediaQuality = 'best' | '2160p' | '1440p' | '1080p' | '720p' | '480p' | '360p' | '240p';

export interface MediaFormatRequest {
  readonly kind: MediaFormatKind;
  readonly quality?: MediaQuality;
  /** A container or audio codec: mp4, mkv, webm, mov (video); m4a, mp3, opus (audio). */
  readonly container?: string;
}

/** The kinds of files a job can deliver. */
export type ArtifactRole = 'file' | 'audio' | 'thumbnail' | 'hls' | 'dash';

/** The height cap a quality stands for; undefined for `best` (no cap). */
export function qualityHeight(quality: MediaQuality | undefined): number | undefined {
  if (quality === undefined || quality === 'best') return undefined;
  return Number(quality.slice(0, -1));
}
