import { isIP } from 'node:net';
import { AppError } from '../../core/errors.js';

export const MAX_URL_LENGTH = 4096;

/**
 * Parses a URL bucketload is about to fetch and refuses what must never be fetched: schemes other
 * than http(s) (file:, ftp:, gopher:, data:, …), user names and passwords (`user:pass@host` — they
 * end up in logs and in redirects, and `http://public@internal/` is a classic confusion trick),
 * control characters, port 0, and URLs over 4,096 characters.
 *
 * Host spellings are left to the WHATWG parser, which is what the connection uses too: `0x7f.1`,
 * `2130706433`, `0177.0.0.1`, `127.1`, `%31%32%37.0.0.1` and `127.0.0.1.` all come out as `127.0.0.1`,
 * and `[::ffff:127.0.0.1]` as `[::ffff:7f00:1]`; the policy then classifies that real address.
 * This is a URL check only; the address check happens at connect time (see `egress-lookup.ts`).
 * Messages never quote the URL: it may carry credentials or signed query strings.
 */
export function parseOutboundUrl(raw: string): URL {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalid('The URL is empty.');
  const text = raw.trim();
  if (text.length > MAX_URL_LENGTH) throw invalid(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  // WHATWG parsing silently drops tabs and newlines anywhere, so `ht\ttp://` or a host split by a
  // newline would parse; refuse them instead of guessing what the sender meant.
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid('The URL contains control characters.');
  // Userinfo, judged on the raw text too: `http://@host/` and `http://:@host/` parse to an empty
  // user name and would slip past a check on the URL object alone.
  const authority = /^[a-z][a-z0-9+.-]*:[/\\]*([^/\\?#]*)/i.exec(text)?.[1] ?? '';
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw invalid('The URL is not a valid absolute URL.', error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(
      `The URL scheme "${url.protocol.slice(0, -1).slice(0, 32)}" is not allowed; use http or https.`,
    );
  }
  if (url.username !== '' || url.password !== '' || authority.includes('@')) {
    throw invalid('User names and passwords in the URL are not allowed.');
  }
  if (url.hostname === '') throw invalid('The URL has no host.');
  if (url.port === '0') throw invalid('Port 0 is not a valid port.');
  url.hash = '';
  return url;
}

/** The host of a parsed URL as a socket takes it: IPv6 without brackets. */
export function urlHostForConnect(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The port a URL connects to, defaults filled in. */
export function urlPort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** The IP address a URL's host is, when it is an IP literal (after WHATWG normalisation). */
export function urlIpLiteral(url: URL): string | undefined {
  const host = urlHostForConnect(url);
  return isIP(host) === 0 ? undefined : host;
}

function invalid(message: string, cause?: unknown): AppError {
  return new AppError('INVALID_URL', { message, ...(cause === undefined ? {} : { cause }) });
}
