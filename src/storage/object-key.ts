/**
 * Object key rules (pure). A key is `dir/stem.ext`:
 * - NFC, no control characters (C0, DEL, C1) and no bidi embedding/override/isolate characters
 *   (they make `evil‮4pm.exe` look like `evil.exe.mp4` in a listing), no lone surrogates;
 * - no `.`/`..` and no empty segments;
 * - at most 1,024 UTF-8 bytes: the stem is truncated on a grapheme boundary, the folder and the
 *   extension are kept.
 * A title may contain anything, so it is *sanitised* (`/` and `\` replaced, controls dropped). A
 * user's `path`/`filename` is *validated*: a bad one is refused with INVALID_KEY naming the field,
 * because silently rewriting what the user typed would put files where they do not look.
 */
import { AppError } from '../core/errors.js';

export const MAX_KEY_BYTES = 1024;
/** A key must leave at least this many bytes for the stem once the folder and extension are in. */
const MIN_STEM_BYTES = 16;
const SLASH_REPLACEMENT = '-';

// C0 controls, DEL, C1 controls; bidi embeddings/overrides (U+202A–U+202E) and isolates
// (U+2066–U+2069); the BOM. Zero-width joiners stay: emoji sequences need them.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/u;
const FORBIDDEN_CHARS_GLOBAL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/gu;
const EXTENSION = /^[A-Za-z0-9]{1,16}$/;

const encoder = new TextEncoder();
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function utf8Length(value: string): number {
  return encoder.encode(value).length;
}

// Lone UTF-16 surrogates (from a broken title) cannot be encoded as UTF-8; they become U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

/** Cuts `value` to at most `maxBytes` UTF-8 bytes without splitting a grapheme (emoji, flags, accents). */
export function truncateUtf8(value: string, maxBytes: number): string {
  if (utf8Length(value) <= maxBytes) return value;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(value)) {
    const size = utf8Length(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

/**
 * Turns a media title into a safe single path segment (no extension added): NFC, controls dropped,
 * `/` and `\` replaced by `-`, whitespace runs collapsed, trimmed, a dots-only name replaced by `_`.
 * Returns '' when nothing printable is left (the caller falls back to the job id).
 */
export function sanitizeFileName(title: string): string {
  let name = wellFormed(title).normalize('NFC');
  name = name.replace(/[\t\n\r\v\f]/gu, ' ').replace(FORBIDDEN_CHARS_GLOBAL, '');
  name = name.replace(/[/\\]/gu, SLASH_REPLACEMENT);
  name = name.replace(/\s+/gu, ' ').trim();
  if (/^\.+$/u.test(name)) name = '_';
  return name;
}

/**
 * Validates a folder path the user typed (`path`, `folder`, a prefix): NFC, leading and trailing `/`
 * dropped; control characters, `\`, `.`/`..` or empty segments are INVALID_KEY with `field`.
 * Returns the normalised path ('' for the root).
 */
export function validateUserPath(value: string, field: string): string {
  const path = wellFormed(value).normalize('NFC').trim().replace(/^\/+/u, '').replace(/\/+$/u, '');
  if (path === '') return '';
  if (FORBIDDEN_CHARS.test(path)) {
    throw new AppError('INVALID_KEY', { field, message: `${field} contains control characters.` });
  }
  if (path.includes('\\')) {
    throw new AppError('INVALID_KEY', { field, message: `${field} must use / to separate folders, not \\.` });
  }
  for (const segment of path.split('/')) {
    if (segment === '')
      throw new AppError('INVALID_KEY', { field, message: `${field} has an empty folder name (//).` });
    if (segment === '.' || segment === '..') {
      throw new AppError('INVALID_KEY', { field, message: `${field} may not contain . or .. segments.` });
    }
  }
  if (utf8Length(path) > MAX_KEY_BYTES - MIN_STEM_BYTES) {
    throw new AppError('INVALID_KEY', {
      field,
      message: `${field} is too long (keys are at most ${MAX_KEY_BYTES} bytes).`,
    });
  }
  return path;
}

/**
 * Validates a file name the user typed (without folders): same character rules as paths, and no `/`
 * (folders go in `path`). Returns the NFC, trimmed name.
 */
export function validateUserFileName(value: string, field: string): string {
  const name = wellFormed(value).normalize('NFC').trim();
  if (name === '') throw new AppError('INVALID_KEY', { field, message: `${field} is empty.` });
  if (FORBIDDEN_CHARS.test(name)) {
    throw new AppError('INVALID_KEY', { field, message: `${field} contains control characters.` });
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new AppError('INVALID_KEY', {
      field,
      message: `${field} is a file name; put folders in the path.`,
    });
  }
  if (name === '.' || name === '..')
    throw new AppError('INVALID_KEY', { field, message: `${field} may not be . or ..` });
  return name;
}

/** Throws INVALID_KEY (with `field`) unless `key` follows every key rule; returns it unchanged. */
export function validateObjectKey(key: string, field = 'key'): string {
  if (key === '') throw new AppError('INVALID_KEY', { field, message: 'The key is empty.' });
  if (key !== key.normalize('NFC') || wellFormed(key) !== key) {
    throw new AppError('INVALID_KEY', { field, message: 'The key is not NFC-normalised Unicode.' });
  }
  if (FORBIDDEN_CHARS.test(key))
    throw new AppError('INVALID_KEY', { field, message: 'The key contains control characters.' });
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new AppError('INVALID_KEY', { field, message: 'The key has an empty, . or .. segment.' });
    }
  }
  if (utf8Length(key) > MAX_KEY_BYTES) {
    throw new AppError('INVALID_KEY', {
      field,
      message: `The key is longer than ${MAX_KEY_BYTES} UTF-8 bytes.`,
    });
  }
  return key;
}

function normaliseExtension(ext: string): string {
  const clean = ext.trim().replace(/^\.+/u, '');
  if (clean === '') return '';
  if (!EXTENSION.test(clean)) {
    throw new AppError('INVALID_KEY', { field: 'ext', message: `"${clean}" is not a file extension.` });
  }
  return clean;
}

/** Joins `dir`, `stem` and `ext`, truncating the stem so the key fits in MAX_KEY_BYTES. */
function assembleKey(dir: string, stem: string, ext: string): string {
  const head = dir === '' ? '' : `${dir}/`;
  const tail = ext === '' ? '' : `.${ext}`;
  const room = MAX_KEY_BYTES - utf8Length(head) - utf8Length(tail);
  if (room < MIN_STEM_BYTES) {
    throw new AppError('INVALID_KEY', {
      field: 'path',
      message: `The folder path leaves no room for a file name in ${MAX_KEY_BYTES} bytes.`,
    });
  }
  // Trailing spaces and dots look like a different name once an extension follows; drop them.
  let cut = truncateUtf8(stem, room).replace(/[\s.]+$/u, '');
  if (cut === '') cut = '_';
  return validateObjectKey(`${head}${cut}${tail}`);
}

export interface ObjectKeyInput {
  /** The destination's default folder (`pathPrefix`); used only when no path/folder is given. */
  readonly pathPrefix?: string | undefined;
  /** Importly `storagePath` / native `path`: a folder that replaces the default prefix ('' = root). */
  readonly path?: string | undefined;
  /** Tornado `folder`: same meaning as `path`. */
  readonly folder?: string | undefined;
  /** Importly `storageFilename` / native `filename`: the name without extension. */
  readonly filename?: string | undefined;
  /** The media title, used when no filename is given. */
  readonly title: string;
  /** The real container's extension, without dot (`mp4`); '' for none. */
  readonly ext: string;
  /** Used as the name when the title has nothing printable left. */
  readonly jobId: string;
}

/**
 * Builds the key for one file, exactly as the seeds describe it:
 * - Importly: `{storagePath, storageFilename}` → `videos/2024/my-video.mp4`; path only →
 *   `videos/2024/<title>.mp4`; filename only → `<prefix>/my-video.mp4`; neither → `<prefix>/<title>.mp4`
 *   (`<prefix>/` is the destination's default path prefix, or nothing);
 * - Tornado: `<folder>/<title>.<ext>`.
 * An explicit path/folder replaces the default prefix, as Importly's `storagePath` does. A filename
 * that already ends in `.<ext>` is not given the extension twice.
 */
export function buildObjectKey(input: ObjectKeyInput): string {
  const ext = normaliseExtension(input.ext);
  const explicit = input.path ?? input.folder;
  const dir =
    explicit !== undefined
      ? validateUserPath(explicit, input.path !== undefined ? 'path' : 'folder')
      : validateUserPath(input.pathPrefix ?? '', 'pathPrefix');

  let stem: string;
  if (input.filename !== undefined) {
    stem = validateUserFileName(input.filename, 'filename');
    if (ext !== '' && stem.toLowerCase().endsWith(`.${ext.toLowerCase()}`))
      stem = stem.slice(0, -(ext.length + 1));
    if (stem === '') stem = sanitizeFileName(input.title);
  } else {
    stem = sanitizeFileName(input.title);
  }
  if (stem === '') stem = sanitizeFileName(input.jobId) || 'file';
  return assembleKey(dir, stem, ext);
}

/** Splits the last segment of a key into stem and extension (`a/b.tar.gz` → `b.tar`, `gz`). */
export function splitKey(key: string): { dir: string; stem: string; ext: string } {
  const slash = key.lastIndexOf('/');
  const dir = slash < 0 ? '' : key.slice(0, slash);
  const base = slash < 0 ? key : key.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  // A leading dot is part of the name (`.env`), not an extension.
  if (dot <= 0 || !EXTENSION.test(base.slice(dot + 1))) return { dir, stem: base, ext: '' };
  return { dir, stem: base.slice(0, dot), ext: base.slice(dot + 1) };
}

/**
 * The key to try for `ifExists: rename`: `dir/name (n).ext`, n ≥ 1, always derived from the original
 * key (call it with 1, 2, 3… until one is free). The stem is shortened if needed to stay in 1,024 bytes.
 */
export function renameKey(key: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('renameKey: n must be a whole number ≥ 1');
  const { dir, stem, ext } = splitKey(validateObjectKey(key));
  const suffix = ` (${n})`;
  const head = dir === '' ? '' : `${dir}/`;
  const tail = ext === '' ? '' : `.${ext}`;
  const room = MAX_KEY_BYTES - utf8Length(head) - utf8Length(tail) - utf8Length(suffix);
  const cut = truncateUtf8(stem, Math.max(room, 1)).replace(/\s+$/u, '');
  return validateObjectKey(`${head}${cut}${suffix}${tail}`);
}

// RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
function encodeRfc5987(value: string): string {
  return Array.from(encoder.encode(value), (byte) => {
    const ch = String.fromCharCode(byte);
    return /[A-Za-z0-9!#$&+\-.^_`|~]/u.test(ch) && byte < 0x80
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/**
 * A `Content-Disposition` value that every browser reads: an ASCII `filename="…"` fallback (non-ASCII,
 * quotes and backslashes become `_`) and the exact name as RFC 5987 `filename*=UTF-8''…`. The result
 * is pure ASCII, so it is safe as an HTTP header and as S3's `response-content-disposition`.
 */
export function contentDisposition(fileName: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const name = sanitizeFileName(fileName) || 'download';
  const fallback = Array.from(name, (ch) =>
    /^[\x20-\x7e]$/u.test(ch) && ch !== '"' && ch !== '\\' ? ch : '_',
  ).join('');
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}
