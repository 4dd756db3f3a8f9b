import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Insertable } from 'kysely';
import type { Config } from '../config/config.js';
import { AppError, PermanentJobError, toError } from '../core/errors.js';
import type { JobFileTable } from '../db/job-file.table.js';
import {
  extensionForContentType,
  fileNameFromContentDisposition,
  fileNameFromUrl,
  isMediaContentType,
  needsExtractor,
} from '../sources/direct/content-disposition.js';
import { resumableBody } from '../sources/direct/resumable-body.js';
import { discardBody, type FetchedResponse, type HttpFetcher } from '../sources/http-fetcher.js';
import { LocalObjectStore } from '../storage/local/local-object-store.js';
import { buildObjectKey, contentDisposition, sanitizeFileName, splitKey } from '../storage/object-key.js';
import type { StorageResolver, JobSink } from '../storage/storage-resolver.js';
import { uploadArtifacts } from './artifact-upload.js';
import { decideKey, fileRow, isStorageFailure } from './delivery.js';
import type { ImportRequest } from './import-request.js';
import { overallPercent, progressSpans } from './import-progress.js';
import type { Job, JobResultSummary, JobSource } from './job.js';
import { wantsProcessing, type MediaEngine } from './media-engine.js';
import { prepareMedia, type MediaAttempt } from './media-preparation.js';
import type { JobContext, JobHandler, JobOutcome } from './worker-pool.js';

export interface ImportHandlerDeps {
  readonly config: Config;
  readonly storage: StorageResolver;
  readonly fetcher: HttpFetcher;
  readonly media: MediaEngine;
  /** Root for per-attempt temp dirs (always removed; leftovers swept at start-up). */
  readonly workRoot: string;
}

interface Delivered {
  readonly children?: { readonly requests: readonly ImportRequest[]; readonly title: string | null };
  readonly files: Insertable<JobFileTable>[];
  readonly source: JobSource;
  readonly bytes: number;
  readonly skipped: boolean;
  readonly sha256Stored: boolean;
}

/**
 * The import pipeline for one attempt: route the URL (direct file or extractor), deliver into the
 * job's sink, verify, and on the last attempt fall back to managed storage when the user's bucket
 * keeps failing.
 */
export function createImportHandler(deps: ImportHandlerDeps): JobHandler {
  return async (job: Job, context: JobContext): Promise<JobOutcome> => {
    context.setPhase('fetching');
    const sink = await deps.storage.sinkForJob(job);
    // Media made for the destination is reused by the fallback, not made twice.
    const attempt: MediaAttempt = { workDir: path.join(deps.workRoot, `${job.id}-${context.attempt}`) };
    try {
      const delivered = await deliver(deps, job, context, sink, attempt);
      return outcome(sink, delivered);
    } catch (error) {
      // Retry first; fall back on the last attempt, or at once when retrying cannot help (AccessDenied).
      const hopeless = job.attempts >= job.maxAttempts || (error instanceof AppError && !error.retryable);
      if (sink.fallback === undefined || !isStorageFailure(error) || !hopeless || context.signal.aborted)
        throw error;
      const reason = fallbackReason(error);
      context.logger.warn(
        { err: toError(error) },
        'delivery to the destination failed; falling back to managed storage',
      );
      const delivered = await deliver(deps, job, context, sink.fallback, attempt);
      return outcome(sink.fallback, delivered, { reason });
    } finally {
      // Always, whatever happened (cancel included): the runner has killed every tool by now.
      await fsp.rm(attempt.workDir, { recursive: true, force: true });
    }
  };
}

/**
 * Why delivery fell back, for the result: the code and what the store said. The catalogue's storage
 * messages are worded for verification ("Verification failed: …"), so they are not repeated here.
 */
function fallbackReason(error: unknown): string {
  if (!(error instanceof AppError)) return 'delivery to the destination failed';
  const said = error.details?.['reason'];
  const detail = typeof said === 'string' && said !== '' ? said : error.message.replace(/^Verification failed: /, '');
  return `${error.code}: delivery to the destination failed (${detail})`.slice(0, 300);
}

function outcome(sink: JobSink, delivered: Delivered, fallback?: { reason: string }): JobOutcome {
  const result: JobResultSummary = {
    storage: sink.storage === 'managed' && fallback !== undefined ? 'managed' : sink.storage,
    sha256Stored: delivered.sha256Stored,
    ...(fallback === undefined ? {} : { fallback }),
    ...(delivered.skipped ? { skipped: true } : {}),
  };
  return {
    result,
    source: delivered.source,
    files: delivered.files,
    finalBytes: delivered.bytes,
    ...(delivered.children === undefined ? {} : { children: delivered.children }),
  };
}

async function deliver(
  deps: ImportHandlerDeps,
  job: Job,
  context: JobContext,
  sink: JobSink,
  attempt: MediaAttempt,
): Promise<Delivered> {
  if (attempt.prepared !== undefined) return deliverMedia(deps, job, context, sink, attempt);
  const first = await deps.fetcher.fetch(job.request.url, { signal: context.signal });
  const contentType = first.header('content-type');
  if (needsExtractor(contentType, first.finalUrl)) {
    discardBody(first.body);
    return deliverMedia(deps, job, context, sink, attempt);
  }
  // A direct file streams to the bucket as it is, unless ffmpeg has work to do on it.
  if (wantsProcessing(job.request)) return deliverMedia(deps, job, context, sink, attempt, first);
  return deliverDirect(deps, job, context, sink, first);
}

async function deliverDirect(
  deps: ImportHandlerDeps,
  job: Job,
  context: JobContext,
  sink: JobSink,
  first: FetchedResponse,
): Promise<Delivered> {
  const contentType =
    (first.header('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ||
    'application/octet-stream';
  const sourceName =
    fileNameFromContentDisposition(first.header('content-disposition')) ??
    fileNameFromUrl(first.finalUrl) ??
    'download';
  const named = splitKey(sourceName.replaceAll('/', '_'));
  const ext = (named.ext || extensionForContentType(contentType) || '').toLowerCase();
  const title = job.request.titleHint ?? (named.stem || 'download');
  let decision: Awaited<ReturnType<typeof decideKey>>;
  try {
    decision = await decideKey(sink, planKey(job, sink, title, ext), job.request.ifExists, context.signal);
  } catch (error) {
    // An unread body keeps the source connection (and the dispatcher's close) waiting.
    discardBody(first.body);
    throw error;
  }
  const source: JobSource = { url: job.request.url, title, duration: null, extractor: 'direct' };
  if (decision.action === 'skip') {
    discardBody(first.body);
    return skipped(job, sink, decision.key, contentType, source, context.signal);
  }

  const body = resumableBody(first, {
    url: first.finalUrl,
    fetcher: deps.fetcher,
    signal: context.signal,
    maxFileBytes: deps.config.maxFileBytes,
    onBytes: (bytes) => {
      const total = body.contentLength ?? null;
      context.reportProgress({
        bytes,
        totalBytes: total,
        percent: total === null || total === 0 ? null : Math.min(99, (bytes / total) * 100),
      });
    },
  });
  context.setPhase('uploading');
  const fileName = decision.key.split('/').at(-1) ?? decision.key;
  const stored = await sink.store.put({
    key: decision.key,
    body: body.stream,
    contentType,
    contentDisposition: contentDisposition(fileName),
    ...(body.contentLength === undefined ? {} : { contentLength: body.contentLength }),
    ifNoneMatch: decision.ifNoneMatch,
    metadata: { 'source-url': sanitizeHeaderValue(job.request.url) },
    signal: context.signal,
  });

  context.setPhase('verifying');
  if (body.contentLength !== undefined && stored.sizeBytes !== body.contentLength) {
    await sink.store.delete(decision.key).catch(() => {});
    throw new AppError('SOURCE_TRUNCATED', {
      details: { receivedBytes: stored.sizeBytes, expectedBytes: body.contentLength },
    });
  }
  await verifyStored(sink, decision.key, stored.sizeBytes, context.signal);

  let duration: number | null = null;
  if (isMediaContentType(contentType)) {
    // A response that claims to be media must be media: probe what was stored.
    try {
      const probe = await deps.media.probe(
        await probeTarget(sink, decision.key, fileName, contentType),
        context.signal,
        stored.sizeBytes,
      );
      duration = probe.durationSeconds;
    } catch (error) {
      if (context.signal.aborted) throw error;
      await sink.store.delete(decision.key).catch(() => {});
      if (error instanceof AppError && error.code === 'CORRUPT_MEDIA')
        throw new PermanentJobError('CORRUPT_MEDIA', { cause: error });
      throw error;
    }
  }
  return {
    files: [fileRow(job.id, sink, 'file', stored, fileName, contentType)],
    source: { ...source, duration },
    bytes: stored.sizeBytes,
    skipped: false,
    sha256Stored: stored.sha256Stored,
  };
}

/**
 * A page, a manifest, or a direct file that needs ffmpeg: the media engine makes the artifacts in
 * the attempt's temp dir (once per attempt), then they are uploaded with the key layout of
 * `artifact-upload.ts`.
 */
async function deliverMedia(
  deps: ImportHandlerDeps,
  job: Job,
  context: JobContext,
  sink: JobSink,
  attempt: MediaAttempt,
  first?: FetchedResponse,
): Promise<Delivered> {
  const prepared = await prepareMedia(deps, job, context, attempt, first);
  const { extracted } = prepared;
  const title = job.request.titleHint ?? prepared.title ?? 'media';
  const source: JobSource = {
    url: job.request.url,
    title,
    duration: extracted.durationSeconds,
    extractor: prepared.extractor,
  };
  if (extracted.entries !== undefined)
    return playlistChildren(job, sink, extracted.playlistTitle ?? title, extracted.entries, source);
  context.setPhase('uploading');
  const spans = progressSpans(wantsProcessing(job.request));
  const uploaded = await uploadArtifacts({
    job,
    sink,
    signal: context.signal,
    title,
    artifacts: extracted.artifacts,
    onProgress: (bytes, totalBytes) =>
      context.reportProgress({
        bytes,
        totalBytes,
        percent: overallPercent(spans, 'upload', totalBytes === 0 ? 1 : bytes / totalBytes),
      }),
  });
  context.setPhase('verifying');
  return {
    files: uploaded.files,
    source,
    bytes: uploaded.bytes,
    skipped: uploaded.skipped,
    sha256Stored: uploaded.sha256Stored,
  };
}

/**
 * A playlist becomes one child job per entry, each delivering into a folder named after the
 * playlist (under the requested path or the destination's prefix).
 */
function playlistChildren(
  job: Job,
  sink: JobSink,
  title: string,
  entries: ReadonlyArray<{ url: string; title: string | null }>,
  source: JobSource,
): Delivered {
  const base = job.request.path ?? sink.pathPrefix ?? '';
  const folder = [base, sanitizeFileName(title) || 'playlist'].filter((part) => part !== '').join('/');
  const limit = job.request.maxItems ?? entries.length;
  const requests = entries.slice(0, limit).map((entry): ImportRequest => {
    const { maxItems: _maxItems, filename: _filename, ...rest } = job.request;
    return {
      ...rest,
      url: entry.url,
      playlist: false,
      path: folder,
      ...(entry.title === null ? {} : { titleHint: entry.title }),
    };
  });
  return { files: [], source, bytes: 0, skipped: false, sha256Stored: true, children: { requests, title } };
}

function planKey(job: Job, sink: JobSink, title: string, ext: string): string {
  return buildObjectKey({
    pathPrefix: sink.pathPrefix,
    path: job.request.path,
    filename: job.request.filename,
    title,
    ext,
    jobId: job.id,
  });
}

async function skipped(
  job: Job,
  sink: JobSink,
  key: string,
  contentType: string,
  source: JobSource,
  signal: AbortSignal,
): Promise<Delivered> {
  const head = await sink.store.head(key, signal);
  const fileName = key.split('/').at(-1) ?? key;
  const sha256 = head?.metadata['sha256'] ?? '';
  return {
    files: [
      fileRow(
        job.id,
        sink,
        'file',
        { key, sizeBytes: head?.sizeBytes ?? 0, sha256 },
        fileName,
        head?.contentType ?? contentType,
      ),
    ],
    source,
    bytes: head?.sizeBytes ?? 0,
    skipped: true,
    sha256Stored: sha256 !== '',
  };
}

/** HEAD after upload when the key may read; a size that differs is an integrity failure. */
async function verifyStored(
  sink: JobSink,
  key: string,
  sizeBytes: number,
  signal: AbortSignal,
): Promise<void> {
  let head;
  try {
    head = await sink.store.head(key, signal);
  } catch (error) {
    if (error instanceof AppError && error.code === 'ACCESS_DENIED') return;
    throw error;
  }
  if (head !== undefined && head.sizeBytes !== sizeBytes) {
    throw new AppError('INTEGRITY_MISMATCH', {
      details: { expectedBytes: sizeBytes, storedBytes: head.sizeBytes },
    });
  }
}

async function probeTarget(
  sink: JobSink,
  key: string,
  fileName: string,
  contentType: string,
): Promise<string> {
  if (sink.store instanceof LocalObjectStore) return sink.store.pathOf(key);
  return sink.store.presignGet(key, { expiresInSeconds: 900, fileName, contentType });
}

function sanitizeHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}
