/** The file name of a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function fileNameFromContentDisposition(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star?.[2] !== undefined) {
    try {
      return decodeURIComponent(star[2].trim().replace(/^"|"$/g, ''));
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:\\.|[^"\\])*)"|([^;\s]+))/i.exec(header);
  const value = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The last path segment of a URL, decoded, or undefined. */
export function fileNameFromUrl(url: string): string | undefined {
  try {
    const segment = new URL(url).pathname
      .split('/')
      .filter((s) => s !== '')
      .at(-1);
    if (segment === undefined) return undefined;
    const decoded = decodeURIComponent(segment);
    return decoded.trim() === '' ? undefined : decoded;
  } catch {
    return undefined;
  }
}

const EXT_BY_TYPE: Readonly<Record<string, string>> = {
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/x-matroska': 'mkv',
  'video/quicktime': 'mov',
  'video/mp2t': 'ts',
  'video/x-msvideo': 'avi',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/x-m4a': 'm4a',
  'audio/ogg': 'ogg',
  'audio/opus': 'opus',
  'audio/webm': 'weba',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/flac': 'flac',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'text/plain': 'txt',
  'application/json': 'json',
};

export function extensionForContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return EXT_BY_TYPE[contentType.split(';')[0]?.trim().toLowerCase() ?? ''];
}

export function isMediaContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^(video|audio)\//i.test(contentType.trim());
}

/** HTML pages and streaming manifests go to yt-dlp; anything else is a direct file. */
export function needsExtractor(contentType: string | undefined, url: string): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/html' || type === 'application/xhtml+xml') return true;
  if (/mpegurl|dash\+xml/.test(type)) return true;
  let pathname = '';
  try {
    pathname = new URL(url).pathname.toLowerCase();
  } catch {
    return false;
  }
  return (
    (type === '' ||
      type === 'application/octet-stream' ||
      type === 'text/plain' ||
      type === 'application/xml') &&
    (pathname.endsWith('.m3u8') || pathname.endsWith('.mpd'))
  );
}
