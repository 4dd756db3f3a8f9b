/**
 * Maps what ffprobe says about a file to the extension and Content-Type it should be stored under.
 * The name a source gave a file is not trusted (yt-dlp says `unknown_video`, servers lie): the
 * container actually found decides.
 */

export type ContainerExt =
  | 'mp4'
  | 'm4a'
  | 'mov'
  | '3gp'
  | 'webm'
  | 'mkv'
  | 'mka'
  | 'mp3'
  | 'aac'
  | 'opus'
  | 'ogg'
  | 'ogv'
  | 'flac'
  | 'wav'
  | 'ts'
  | 'flv'
  | 'avi'
  | 'jpg'
  | 'png'
  | 'webp'
  | 'gif'
  | 'm3u8'
  | 'mpd'
  | 'bin';

export interface MediaContainer {
  readonly ext: ContainerExt;
  readonly contentType: string;
}

export interface ContainerEvidence {
  /** ffprobe's `format.format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`. */
  readonly formatName: string;
  /** `format.tags.major_brand` for ISO-BMFF files (`isom`, `qt  `, `M4A `, `3gp5`…). */
  readonly majorBrand?: string | undefined;
  /** Codec names of the audio/video streams (cover art excluded). */
  readonly videoCodecs: readonly string[];
  readonly audioCodecs: readonly string[];
}

const WEBM_CODECS = new Set(['vp8', 'vp9', 'av1', 'opus', 'vorbis']);

const CONTENT_TYPES: Readonly<Record<ContainerExt, string>> = {
  mp4: 'video/mp4',
  m4a: 'audio/mp4',
  mov: 'video/quicktime',
  '3gp': 'video/3gpp',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mka: 'audio/x-matroska',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  opus: 'audio/ogg',
  ogg: 'audio/ogg',
  ogv: 'video/ogg',
  flac: 'audio/flac',
  wav: 'audio/wav',
  ts: 'video/mp2t',
  flv: 'video/x-flv',
  avi: 'video/x-msvideo',
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  bin: 'application/octet-stream',
};

/** The Content-Type for an extension (audio-only WebM is `audio/webm`). */
export function contentTypeFor(ext: ContainerExt, audioOnly = false): string {
  if (ext === 'webm' && audioOnly) return 'audio/webm';
  return CONTENT_TYPES[ext];
}

function container(ext: ContainerExt, audioOnly = false): MediaContainer {
  return { ext, contentType: contentTypeFor(ext, audioOnly) };
}

export function resolveContainer(evidence: ContainerEvidence): MediaContainer {
  const names = new Set(evidence.formatName.split(','));
  const hasVideo = evidence.videoCodecs.length > 0;
  const audioOnly = !hasVideo && evidence.audioCodecs.length > 0;
  const brand = (evidence.majorBrand ?? '').trim().toLowerCase();

  if (names.has('mov') || names.has('mp4')) {
    if (brand === 'qt') return container(hasVideo ? 'mov' : 'm4a');
    if (brand.startsWith('3g') && hasVideo) return container('3gp');
    return container(hasVideo ? 'mp4' : 'm4a');
  }
  if (names.has('matroska') || names.has('webm')) {
    const all = [...evidence.videoCodecs, ...evidence.audioCodecs];
    if (all.length > 0 && all.every((c) => WEBM_CODECS.has(c))) return container('webm', audioOnly);
    return container(audioOnly ? 'mka' : 'mkv');
  }
  if (names.has('ogg')) {
    if (hasVideo) return container('ogv');
    const onlyOpus = evidence.audioCodecs.length > 0 && evidence.audioCodecs.every((c) => c === 'opus');
    return container(onlyOpus ? 'opus' : 'ogg');
  }
  if (names.has('mp3')) return container('mp3');
  if (names.has('aac')) return container('aac');
  if (names.has('flac')) return container('flac');
  if (names.has('wav')) return container('wav');
  if (names.has('mpegts')) return container('ts');
  if (names.has('flv')) return container('flv');
  if (names.has('avi')) return container('avi');
  if (names.has('hls')) return container('m3u8');
  if (names.has('dash')) return container('mpd');
  // Still images: `image2` (by extension), `*_pipe` (by content); the codec tells which.
  const first = evidence.videoCodecs[0];
  if (names.has('image2') || [...names].some((n) => n.endsWith('_pipe'))) {
    if (first === 'mjpeg') return container('jpg');
    if (first === 'png') return container('png');
    if (first === 'webp') return container('webp');
  }
  if (names.has('gif')) return container('gif');
  return container('bin');
}
