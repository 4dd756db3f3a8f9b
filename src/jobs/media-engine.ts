import type { FormatRequest } from './import-request.js';
import type { FileRole } from './job-types.js';

/** One file of an HLS/DASH tree, relative to the tree's directory. */
export interface TreeFile {
  readonly relPath: string;
  readonly contentType: string;
  readonly sizeBytes: number;
}

/** One file a media job produced in its temp dir, probed and ready to upload. */
export type Artifact =
  | {
      readonly role: FileRole;
      readonly kind: 'file';
      readonly path: string;
      /** From ffprobe's reading of the file, never from a name a source gave it. */
      readonly ext: string;
      readonly contentType: string;
      readonly sizeBytes: number;
    }
  | {
      readonly role: 'hls' | 'dash';
      readonly kind: 'tree';
      readonly dir: string;
      readonly files: readonly TreeFile[];
      /** The master playlist / manifest, relative to `dir`. */
      readonly entry: string;
      /** HLS: each rendition's media playlist (`<rung>/index.m3u8`); DASH has them inside the manifest. */
      readonly renditionPlaylists: readonly string[];
    };

export interface ExtractedMedia {
  readonly title: string | null;
  readonly extractor: string | null;
  readonly durationSeconds: number | null;
  readonly artifacts: readonly Artifact[];
  /** Requested outputs that were not made, and why (e.g. a thumbnail of audio-only media). */
  readonly skipped: ReadonlyArray<{ readonly role: FileRole; readonly reason: string }>;
  /** Playlist pages: the entries, when the request asked for `playlist: true`. */
  readonly entries?: ReadonlyArray<{ readonly url: string; readonly title: string | null }>;
  readonly playlistTitle?: string | null;
}

export interface MediaProbeSummary {
  readonly durationSeconds: number | null;
  readonly ext: string;
  readonly contentType: string;
}

/** What the media engine needs to know of an import request. */
export interface MediaRequest {
  readonly format?: FormatRequest;
  readonly outputs: readonly FileRole[];
  readonly playlist: boolean;
  readonly maxItems?: number;
}

/** `download` (yt-dlp, or the job's own direct download) comes first, then `process` (ffmpeg). */
export type MediaStage = 'download' | 'process';

export interface MediaProgress {
  readonly stage: MediaStage;
  readonly bytes: number;
  readonly totalBytes: number | null;
  /** 0..1 within the stage, never decreasing within it; null when unknown. */
  readonly fraction: number | null;
}

export interface MediaRunOptions {
  readonly signal: AbortSignal;
  /** The attempt's temp dir (empty, owned by the caller, removed by it afterwards). */
  readonly workDir: string;
  onProgress(progress: MediaProgress): void;
}

/**
 * The media port the job handler uses. `extract` runs yt-dlp on a page or manifest; `process`
 * starts from a file the job downloaded itself. Both run the ffmpeg steps the request needs in
 * `workDir`, probe every output, and return artifacts ready to upload. `probe` reads a stored file.
 * Failures are catalogue errors (NO_MEDIA_FOUND, MEDIA_UNAVAILABLE, FILE_TOO_LARGE, MEDIA_TOO_LONG,
 * CORRUPT_MEDIA, EGRESS_DENIED, …); an abort rejects with an AbortError once every tool is gone.
 */
export interface MediaEngine {
  extract(url: string, request: MediaRequest, options: MediaRunOptions): Promise<ExtractedMedia>;
  process(sourcePath: string, request: MediaRequest, options: MediaRunOptions): Promise<ExtractedMedia>;
  /** Probes a local path or an URL; throws CORRUPT_MEDIA when it is not readable media. */
  probe(target: string, signal: AbortSignal, sizeBytes?: number): Promise<MediaProbeSummary>;
}

/**
 * Whether a request needs ffmpeg at all. Without it a direct file is streamed from the source to
 * the bucket as it is (no temp file); with it, the file is downloaded to the temp dir first.
 */
export function wantsProcessing(request: Pick<MediaRequest, 'format' | 'outputs'>): boolean {
  if (request.outputs.some((role) => role !== 'file')) return true;
  return request.format !== undefined && request.format.kind !== 'original';
}
