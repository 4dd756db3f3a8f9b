import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/config.js';
import { PermanentJobError } from '../core/errors.js';
import { fileNameFromContentDisposition, fileNameFromUrl } from '../sources/direct/content-disposition.js';
import { resumableBody } from '../sources/direct/resumable-body.js';
import { discardBody, type FetchedResponse, type HttpFetcher } from '../sources/http-fetcher.js';
import { splitKey } from '../storage/object-key.js';
import { overallPercent, progressSpans } from './import-progress.js';
import type { Job } from './job.js';
import type { ExtractedMedia, MediaEngine, MediaProgress, MediaRequest } from './media-engine.js';
import { wantsProcessing } from './media-engine.js';
import type { JobContext } from './worker-pool.js';

/** State of one attempt that outlives a fallback to managed storage: the media is made once. */
export interface MediaAttempt {
  /** `<data dir>/work/<job id>-<attempt>`; the handler removes it when the attempt ends. */
  readonly workDir: string;
  prepared?: PreparedMedia;
}

export interface PreparedMedia {
  readonly extracted: ExtractedMedia;
  /** The source's own name for the media (page title, or the direct file's name). */
  readonly title: string | null;
  readonly extractor: string;
}

export interface MediaPreparationDeps {
  readonly config: Pick<Config, 'maxFileBytes'>;
  readonly fetcher: HttpFetcher;
  readonly media: MediaEngine;
}

/**
 * Content types a direct file may have when the request asks for ffmpeg work. Anything else (a
 * text, JSON or image response) is refused before it is downloaded: UNSUPPORTED_URL.
 */
const PROCESSABLE =
  /^(video\/|audio\/|application\/(octet-stream|mp4|ogg|x-matroska|mxf)$|binary\/octet-stream$)/;

/**
 * Makes the artifacts of a media job in the attempt's temp dir: yt-dlp for a page or manifest
 * (`first` undefined), or the job's own download of a direct file (`first`, its response) followed
 * by the ffmpeg steps. Progress: the download, then processing, each in its slice of the overall
 * percent; the phase switches to `processing` when ffmpeg starts.
 */
export async function prepareMedia(
  deps: MediaPreparationDeps,
  job: Job,
  context: JobContext,
  attempt: MediaAttempt,
  first?: FetchedResponse,
): Promise<PreparedMedia> {
  if (attempt.prepared !== undefined) {
    if (first !== undefined) discardBody(first.body);
    return attempt.prepared;
  }
  const request: MediaRequest = {
    outputs: job.request.outputs,
    playlist: job.request.playlist,
    ...(job.request.format === undefined ? {} : { format: job.request.format }),
    ...(job.request.maxItems === undefined ? {} : { maxItems: job.request.maxItems }),
  };
  const spans = progressSpans(wantsProcessing(request));
  const onProgress = (p: MediaProgress): void => {
    if (p.stage === 'process') context.setPhase('processing');
    context.reportProgress({
      bytes: p.bytes,
      totalBytes: p.totalBytes,
      percent: p.fraction === null ? null : overallPercent(spans, p.stage, p.fraction),
    });
  };
  await fsp.mkdir(attempt.workDir, { recursive: true });
  const options = { signal: context.signal, workDir: attempt.workDir, onProgress };

  let prepared: PreparedMedia;
  if (first === undefined) {
    const extracted = await deps.media.extract(job.request.url, request, options);
    prepared = { extracted, title: extracted.title, extractor: extracted.extractor ?? 'generic' };
  } else {
    const { file, stem } = await downloadDirect(deps, first, attempt.workDir, context.signal, onProgress);
    const extracted = await deps.media.process(file, request, options);
    prepared = { extracted, title: stem, extractor: 'direct' };
  }
  if (prepared.extracted.skipped.length > 0) {
    context.logger.info(
      { skipped: prepared.extracted.skipped },
      'requested outputs that this media cannot have were not made',
    );
  }
  attempt.prepared = prepared;
  return prepared;
}

/** Streams a direct file into `<workDir>/download/`, resuming dropped connections, within the size limit. */
async function downloadDirect(
  deps: MediaPreparationDeps,
  first: FetchedResponse,
  workDir: string,
  signal: AbortSignal,
  onProgress: (p: MediaProgress) => void,
): Promise<{ file: string; stem: string | null }> {
  const contentType = (first.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== '' && !PROCESSABLE.test(contentType)) {
    discardBody(first.body);
    throw new PermanentJobError('UNSUPPORTED_URL', {
      message: `The URL serves ${contentType}, not audio or video; \`format\` and \`outputs\` other than file need media.`,
    });
  }
  const sourceName =
    fileNameFromContentDisposition(first.header('content-disposition')) ?? fileNameFromUrl(first.finalUrl);
  const named = sourceName === undefined ? undefined : splitKey(sourceName.replaceAll('/', '_'));
  const dir = path.join(workDir, 'download');
  await fsp.mkdir(dir, { recursive: true });
  // The name on disk is ours: ffprobe decides what the file is, not its extension.
  const file = path.join(dir, 'source');
  const body = resumableBody(first, {
    url: first.finalUrl,
    fetcher: deps.fetcher,
    signal,
    maxFileBytes: deps.config.maxFileBytes,
    onBytes: (bytes) => {
      const total = body.contentLength ?? null;
      onProgress({
        stage: 'download',
        bytes,
        totalBytes: total,
        fraction: total === null || total === 0 ? null : bytes / total,
      });
    },
  });
  await pipeline(body.stream, fs.createWriteStream(file), { signal });
  const size = body.bytes();
  onProgress({ stage: 'download', bytes: size, totalBytes: size, fraction: 1 });
  return { file, stem: named === undefined || named.stem === '' ? null : named.stem };
}
