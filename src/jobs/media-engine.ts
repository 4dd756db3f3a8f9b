import type { FormatRequest } from './import-request.js';
import type { FileRole } from './job-types.js';

/** One file a media job produced, ready to upload. */
export type Artifact =
  | { readonly role: FileRole; readonly kind: 'file'; readonly path: string; readonly ext: string; readonly contentType: string }
  | {
      readonly role: 'hls' | 'dash';
      readonly kind: 'tree';
      readonly dir: string;
      /** Paths relative to `dir`, with their types; `entry` is the master playlist / manifest. */
      readonly files: ReadonlyArray<{ readonly relPath: string; readonly contentType: string }>;
      readonly entry: string;
    };

export interface ExtractedMedia {
  readonly title: string | null;
  readonly extractor: string | null;
  readonly durationSeconds: number | null;
  readonly artifacts: readonly Artifact[];
  /** Playlist pages: the entries, when the request asked for `playlist: true`. */
  readonly entries?: ReadonlyArray<{ readonly url: string; readonly title: string | null }>;
  readonly playlistTitle?: string | null;
}

export interface MediaProbeSummary {
  readonly durationSeconds: number | null;
  readonly ext: string;
  readonly contentType: string;
}

/**
 * The media port the job handler uses: yt-dlp extraction plus ffmpeg processing into a temp dir,
 * and ffprobe on a stored file. Progress is 0..1 for the extract step.
 */
export interface MediaEngine {
  extract(
    url: string,
    request: { format?: FormatRequest; outputs: readonly FileRole[]; playlist: boolean; maxItems?: number },
    options: {
      signal: AbortSignal;
      workDir: string;
      onProgress(progress: { bytes: number; totalBytes: number | null; fraction: number | null }): void;
    },
  ): Promise<ExtractedMedia>;
  /** Probes a local path or an URL; throws CORRUPT_MEDIA when it is not readable media. */
  probe(target: string, signal: AbortSignal, sizeBytes?: number): Promise<MediaProbeSummary>;
}
