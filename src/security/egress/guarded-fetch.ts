import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { AppError, isAbortError, toError } from '../../core/errors.js';
import { isEgressDispatcher } from './egress-dispatcher.js';
import type { EgressPolicy } from './egress-policy.js';
import { parseOutboundUrl, urlIpLiteral, urlPort } from './egress-url.js';

export interface GuardedFetchInit {
  readonly policy: EgressPolicy;
  /** Must come from `createEgressDispatcher` (anything else is refused: it would skip the connect check). */
  readonly dispatcher: Dispatcher;
  readonly method?: 'GET' | 'HEAD';
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Redirects followed before TOO_MANY_REDIRECTS. Default 10. */
  readonly maxRedirects?: number;
}

/** The final response. `body` is a Node Readable (undici's BodyReadable), ready to pipe into an upload. */
export interface GuardedResponse {
  readonly status: number;
  /** Lower-case header names; repeated headers as arrays. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable;
}

export interface GuardedFetchResult {
  readonly response: GuardedResponse;
  readonly finalUrl: string;
  /** The URLs that answered with a redirect, in order; the first is the URL asked for. */
  readonly redirects: string[];
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Dropped when a redirect leaves the origin, as browsers do. */
const CROSS_ORIGIN_DROPPED = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * GET or HEAD a source URL, following redirects by hand so that every hop is re-checked: the URL
 * rules (`parseOutboundUrl`), the policy on IP-literal hosts before dispatching, and — through the
 * egress dispatcher — the policy on the address actually connected to. Statuses ≥ 400 throw
 * SOURCE_HTTP_ERROR; network failures throw SOURCE_UNREACHABLE or SOURCE_TIMEOUT; refusals throw
 * EGRESS_DENIED; a canceled `signal` rethrows the abort error untouched.
 */
export async function guardedFetch(rawUrl: string, init: GuardedFetchInit): Promise<GuardedFetchResult> {
  if (!isEgressDispatcher(init.dispatcher)) {
    throw new Error('guardedFetch needs a dispatcher from createEgressDispatcher');
  }
  const maxRedirects = init.maxRedirects ?? 10;
  const method = init.method ?? 'GET';
  const redirects: string[] = [];
  let headers: Record<string, string> = { ...init.headers };
  let url = parseOutboundUrl(rawUrl);

  for (;;) {
    // Fail fast on literal hosts; the dispatcher checks again on the socket (and checks names).
    const literal = urlIpLiteral(url);
    if (literal !== undefined) init.policy.checkAddress(literal, urlPort(url), literal);

    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        dispatcher: init.dispatcher,
        method,
        headers,
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      });
    } catch (error) {
      if (init.signal?.aborted === true) throw error;
      throw toSourceError(error, url.host);
    }

    const { statusCode, headers: responseHeaders, body } = response;
    if (REDIRECT_STATUSES.has(statusCode)) {
      await discard(body);
      const location = firstHeader(responseHeaders.location);
      if (location === undefined) {
        throw new AppError('SOURCE_HTTP_ERROR', {
          message: `${url.host} answered ${statusCode} without a Location header.`,
          details: { status: statusCode },
        });
      }
      if (redirects.length >= maxRedirects) {
        throw new AppError('TOO_MANY_REDIRECTS', {
          message: `The source redirected more than ${maxRedirects} times.`,
          details: { maxRedirects },
        });
      }
      const next = resolveLocation(location, url);
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      redirects.push(url.href);
      url = next;
      continue;
    }
    if (statusCode >= 400) {
      await discard(body);
      throw new AppError('SOURCE_HTTP_ERROR', {
        message: `${url.host} answered HTTP ${statusCode}.`,
        details: { status: statusCode },
        retryable: statusCode >= 500 || statusCode === 429 || statusCode === 408,
      });
    }
    return {
      response: { status: statusCode, headers: responseHeaders, body },
      finalUrl: url.href,
      redirects,
    };
  }
}

function resolveLocation(location: string, base: URL): URL {
  let absolute: string;
  try {
    absolute = new URL(location, base).href;
  } catch (error) {
    throw new AppError('INVALID_URL', { message: 'The source redirected to an invalid URL.', cause: error });
  }
  return parseOutboundUrl(absolute);
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CROSS_ORIGIN_DROPPED.has(name.toLowerCase())),
  );
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a little of an unwanted body so the connection can be reused, then lets it go. */
async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: 64 * 1024 });
  } catch {
    body.destroy();
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);

/**
 * Maps a network error from undici (connect, headers or — when the caller reads the body — body
 * phase) to SOURCE_TIMEOUT or SOURCE_UNREACHABLE, naming the host only. An AppError anywhere in the
 * cause chain (EGRESS_DENIED thrown by the connect guard) wins; abort errors pass through untouched.
 */
export function toSourceError(error: unknown, host: string): Error {
  const chain = causeChain(error);
  const appError = chain.find((e): e is AppError => e instanceof AppError);
  if (appError !== undefined) return appError;
  if (isAbortError(error)) return toError(error);
  const codes = chain
    .map((e) => (e as { code?: unknown }).code)
    .filter((c): c is string => typeof c === 'string');
  if (codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new AppError('SOURCE_TIMEOUT', { message: `${host} did not answer in time.`, cause: error });
  }
  return new AppError('SOURCE_UNREACHABLE', { message: `Could not reach ${host}.`, cause: error });
}

function causeChain(error: unknown): Error[] {
  const seen: Error[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 16) {
    const item = queue.shift();
    if (!(item instanceof Error) || seen.includes(item)) continue;
    seen.push(item);
    queue.push(item.cause);
    if (item instanceof AggregateError) queue.push(...(item.errors as unknown[]));
  }
  return seen;
}
