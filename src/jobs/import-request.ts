import type { FileRole } from './job-types.js';

/**
 * The normalised import request every entry point (native API, Tornado, Importly, Qencode, CLI)
 * turns its input into before a job is created. It is stored as the job's `request` JSON, so it
 * never holds a plaintext secret: inline credentials are sealed (see SecretBox).
 */
export type IfExists = 'overwrite' | 'skip' | 'rename' | 'fail';
export type FormatKind = 'video' | 'audio' | 'original';
export type Quality = 'best' | '2160p' | '1440p' | '1080p' | '720p' | '480p' | '360p' | '240p';

export interface FormatRequest {
  readonly kind: FormatKind;
  readonly quality?: Quality;
  readonly container?: string;
}

/** Connection settings of a bucket given in the request itself (native inline or Qencode). */
export interface InlineDestination {
  readonly provider: string;
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  /** SecretBox envelope of the secret access key, sealed with AAD `inline:<userId>`. */
  readonly secretSealed: string;
  readonly forcePathStyle?: boolean;
  readonly pathPrefix?: string;
  readonly storageClass?: string;
  readonly acl?: string;
  readonly publicEndpoint?: string;
}

export type DestinationRef =
  | { readonly kind: 'default' }
  | { readonly kind: 'managed' }
  | { readonly kind: 'saved'; readonly name: string }
  | { readonly kind: 'inline'; readonly destination: InlineDestination };

/** How the object key is formed: native rules, or a seed's exact rules. */
export type KeyStyle = 'native' | 'tornado' | 'importly';

export interface ImportRequest {
  readonly url: string;
  readonly destination: DestinationRef;
  readonly bucket?: string;
  readonly path?: string;
  readonly filename?: string;
  readonly storageClass?: string;
  readonly acl?: string;
  readonly format?: FormatRequest;
  readonly outputs: readonly FileRole[];
  readonly playlist: boolean;
  readonly maxItems?: number;
  readonly ifExists: IfExists;
  readonly presignExpiresIn: number;
  readonly webhook?: { readonly url: string; readonly secretSealed?: string };
  readonly metadata?: Readonly<Record<string, string>>;
  readonly keyStyle: KeyStyle;
  /** Qencode semantics: `path` is the folder HLS/DASH contents go in (no `<title>/hls/` level). */
  readonly abrFolder?: boolean;
  /** A playlist child's entry title, used for its file name instead of the URL's. */
  readonly titleHint?: string;
}

export const DEFAULT_PRESIGN_SECONDS = 86_400;
export const MAX_PRESIGN_SECONDS = 604_800;
