import { Readable } from 'node:stream';
import { AppError, PermanentJobError, toError } from '../../core/errors.js';
import { discardBody, type FetchedResponse, type HttpFetcher } from '../http-fetcher.js';

export interface ResumableBodyOptions {
  readonly url: string;
  readonly fetcher: HttpFetcher;
  readonly signal: AbortSignal;
  readonly maxFileBytes: number;
  readonly maxResumes?: number;
  readonly onBytes?: (bytes: number) => void;
}

export interface ResumableBody {
  readonly stream: Readable;
  readonly contentLength: number | undefined;
  /** Bytes delivered so far (after the stream ends: the file size). */
  bytes(): number;
  resumes(): number;
}

/**
 * The body of a direct download as one stream. A connection dropped mid-body is resumed with a
 * `Range: bytes=N-` request (guarded by If-Range on the ETag or Last-Modified, so a file that
 * changed in between is not spliced) when the server advertises ranges; otherwise, and when the
 * body is shorter than its Content-Length, the attempt fails with SOURCE_TRUNCATED. The size limit
 * is enforced while streaming, before the bytes reach storage.
 */
export function resumableBody(first: FetchedResponse, options: ResumableBodyOptions): ResumableBody {
  const lengthHeader = first.header('content-length');
  const contentLength =
    lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  if (contentLength !== undefined && contentLength > options.maxFileBytes) {
    discardBody(first.body);
    throw new PermanentJobError('FILE_TOO_LARGE', {
      details: { sizeBytes: contentLength, maxBytes: options.maxFileBytes },
    });
  }
  const acceptsRanges = (first.header('accept-ranges') ?? '').toLowerCase().includes('bytes');
  const validator = first.header('etag') ?? first.header('last-modified');
  const canResume = acceptsRanges && contentLength !== undefined;
  const maxResumes = options.maxResumes ?? 5;
  let bytes = 0;
  let resumes = 0;

  async function* chunks(): AsyncGenerator<Buffer> {
    let response: FetchedResponse = first;
    for (;;) {
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (bytes > options.maxFileBytes) {
            throw new PermanentJobError('FILE_TOO_LARGE', { details: { maxBytes: options.maxFileBytes } });
          }
          options.onBytes?.(bytes);
          yield chunk;
        }
        if (contentLength === undefined || bytes === contentLength) return;
        if (bytes > contentLength)
          throw new AppError('SOURCE_CHANGED', { message: 'The source sent more bytes than it announced.' });
      } catch (error) {
        if (error instanceof AppError || options.signal.aborted) throw error;
        if (!canResume || resumes >= maxResumes) {
          throw new AppError('SOURCE_TRUNCATED', {
            cause: toError(error),
            details: {
              receivedBytes: bytes,
              ...(contentLength === undefined ? {} : { expectedBytes: contentLength }),
            },
          });
        }
      }
      if (!canResume || resumes >= maxResumes) {
        throw new AppError('SOURCE_TRUNCATED', {
          details: { receivedBytes: bytes, expectedBytes: contentLength },
        });
      }
      resumes += 1;
      response = await reopen();
    }
  }

  async function reopen(): Promise<FetchedResponse> {
    const headers: Record<string, string> = { range: `bytes=${bytes}-` };
    if (validator !== undefined) headers['if-range'] = validator;
    const next = await options.fetcher.fetch(options.url, { headers, signal: options.signal });
    const range = /^bytes (\d+)-/.exec(next.header('content-range') ?? '');
    if (next.status !== 206 || range?.[1] === undefined || Number(range[1]) !== bytes) {
      discardBody(next.body);
      // 200 instead of 206 means the validator no longer matches: the file changed.
      throw new AppError('SOURCE_CHANGED', { details: { status: next.status } });
    }
    return next;
  }

  return {
    stream: Readable.from(chunks(), { objectMode: false }),
    contentLength,
    bytes: () => bytes,
    resumes: () => resumes,
  };
}
