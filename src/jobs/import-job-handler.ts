import fs from 'node:fs';
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
import { decideKey, fileRow, isStorageFailure } from './delivery.js';
import type { ImportRequest } from './import-request.js';
import type { Job, JobResultSummary, JobSource } from './job.js';
import type { Artifact, MediaEngine } from './media-engine.js';
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
    try {
      const delivered = await deliver(deps, job, context, sink);
      return outcome(sink, delivered);
    } catch (error) {
      // Retry first; fall back on the last attempt, or at once when retrying cannot help (AccessDenied).
      const hopeless = job.attempts >= job.maxAttempts || (error instanceof AppError && !error.retryable);
      if (sink.fallback === undefined || !isStorageFailure(error) || !hopeless || context.signal.aborted) throw error;
      const reason = error instanceof AppError ? `${error.code}: ${error.message}` : 'delivery failed';
      context.logger.warn({ err: toError(error) }, 'delivery to the destination failed; falling back to managed storage');
      const delivered = await deliver(deps, job, context, sink.fallback);
      return outcome(sink.fallback, delivered, { reason });
    }
  };
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

async function deliver(deps: ImportHandlerDeps, job: Job, context: JobContext, sink: JobSink): Promise<Delivered> {
  const first = await deps.fetcher.fetch(job.request.url, { signal: context.signal });
  const contentType = first.header('content-type');
  if (needsExtractor(contentType, first.finalUrl)) {
    discardBody(first.body);
    return deliverExtracted(deps, job, context, sink);
  }
  return deliverDirect(deps, job, context, sink, first);
}

async function deliverDirect(
  deps: ImportHandlerDeps,
  job: Job,
  context: JobContext,
  sink: JobSink,
  first: FetchedResponse,
): Promise<Delivered> {
  const contentType = (first.header('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() || 'application/octet-stream';
  const sourceName = fileNameFromContentDisposition(first.header('content-disposition')) ?? fileNameFromUrl(first.finalUrl) ?? 'download';
  const named = splitKey(sourceName.replaceAll('/', '_'));
  const ext = (named.ext || extensionForContentType(contentType) || '').toLowerCase();
  const title = job.request.titleHint ?? (named.stem || 'download');
  const key = planKey(job, sink, title, ext);
  const decision = await decideKey(sink, key, job.request.ifExists, context.signal);
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
      context.reportProgress({ bytes, totalBytes: total, percent: total === null || total === 0 ? null : Math.min(99, (bytes / total) * 100) });
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
    throw new AppError('SOURCE_TRUNCATED', { details: { receivedBytes: stored.sizeBytes, expectedBytes: body.contentLength } });
  }
  await verifyStored(sink, decision.key, stored.sizeBytes, context.signal);

  let duration: number | null = null;
  if (isMediaContentType(contentType)) {
    // A response that claims to be media must be media: probe what was stored.
    try {
      const probe = await deps.media.probe(await probeTarget(sink, decision.key, fileName, contentType), context.signal, stored.sizeBytes);
      duration = probe.durationSeconds;
    } catch (error) {
      if (context.signal.aborted) throw error;
      await sink.store.delete(decision.key).catch(() => {});
      if (error instanceof AppError && error.code === 'CORRUPT_MEDIA') throw new PermanentJobError('CORRUPT_MEDIA', { cause: error });
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

async function deliverExtracted(deps: ImportHandlerDeps, job: Job, context: JobContext, sink: JobSink): Promise<Delivered> {
  const workDir = path.join(deps.workRoot, `${job.id}-${context.attempt}`);
  await fsp.mkdir(workDir, { recursive: true });
  try {
    const extracted = await deps.media.extract(
      job.request.url,
      {
        outputs: job.request.outputs,
        playlist: job.request.playlist,
        ...(job.request.format === undefined ? {} : { format: job.request.format }),
        ...(job.request.maxItems === undefined ? {} : { maxItems: job.request.maxItems }),
      },
      {
        signal: context.signal,
        workDir,
        onProgress: (p) => context.reportProgress({ bytes: p.bytes, totalBytes: p.totalBytes, percent: p.fraction === null ? null : p.fraction * 80 }),
      },
    );
    const title = job.request.titleHint ?? extracted.title ?? 'media';
    const source: JobSource = { url: job.request.url, title, duration: extracted.durationSeconds, extractor: extracted.extractor };
    if (extracted.entries !== undefined) return playlistChildren(job, sink, extracted.playlistTitle ?? title, extracted.entries, source);
    context.setPhase('uploading');
    const totalBytes = await artifactBytes(extracted.artifacts);
    let uploaded = 0;
    const files: Insertable<JobFileTable>[] = [];
    let sha256Stored = true;
    let skippedAll = extracted.artifacts.length > 0;
    const baseKey = planKey(job, sink, title, 'mp4');
    const base = baseKey.slice(0, baseKey.length - '.mp4'.length);
    for (const artifact of extracted.artifacts) {
      const report = (bytes: number) =>
        context.reportProgress({ bytes: uploaded + bytes, totalBytes, percent: 80 + (totalBytes === 0 ? 0 : ((uploaded + bytes) / totalBytes) * 19) });
      if (artifact.kind === 'file') {
        const key = artifact.role === 'file' ? planKey(job, sink, title, artifact.ext) : `${base}${roleSuffix(artifact.role)}.${artifact.ext}`;
        const decision = await decideKey(sink, key, job.request.ifExists, context.signal);
        if (decision.action === 'skip') {
          const kept = await skipped(job, sink, decision.key, artifact.contentType, source, context.signal);
          files.push(...kept.files.map((f) => ({ ...f, role: artifact.role })));
          continue;
        }
        skippedAll = false;
        const fileName = decision.key.split('/').at(-1) ?? decision.key;
        const size = (await fsp.stat(artifact.path)).size;
        const stored = await sink.store.put({
          key: decision.key,
          body: fs.createReadStream(artifact.path),
          contentType: artifact.contentType,
          contentLength: size,
          contentDisposition: contentDisposition(fileName),
          ifNoneMatch: decision.ifNoneMatch,
          signal: context.signal,
          onProgress: report,
        });
        if (stored.sizeBytes !== size) throw new AppError('INTEGRITY_MISMATCH', { details: { expected: size, stored: stored.sizeBytes } });
        await verifyStored(sink, decision.key, size, context.signal);
        sha256Stored &&= stored.sha256Stored;
        uploaded += size;
        files.push(fileRow(job.id, sink, artifact.role, stored, fileName, artifact.contentType));
      } else {
        skippedAll = false;
        const folder = `${base}/${artifact.role}`;
        for (const entry of artifact.files) {
          const full = path.join(artifact.dir, entry.relPath);
          const size = (await fsp.stat(full)).size;
          const key = `${folder}/${entry.relPath}`;
          const fileName = entry.relPath.split('/').at(-1) ?? entry.relPath;
          const stored = await sink.store.put({
            key,
            body: fs.createReadStream(full),
            contentType: entry.contentType,
            contentLength: size,
            signal: context.signal,
          });
          uploaded += size;
          report(0);
          if (entry.relPath === artifact.entry) files.push(fileRow(job.id, sink, artifact.role, stored, fileName, entry.contentType));
        }
      }
    }
    context.setPhase('verifying');
    return { files, source, bytes: uploaded, skipped: skippedAll, sha256Stored };
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
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
    return { ...rest, url: entry.url, playlist: false, path: folder, ...(entry.title === null ? {} : { titleHint: entry.title }) };
  });
  return { files: [], source, bytes: 0, skipped: false, sha256Stored: true, children: { requests, title } };
}

function roleSuffix(role: string): string {
  return role === 'file' ? '' : `.${role}`;
}

async function artifactBytes(artifacts: readonly Artifact[]): Promise<number> {
  let total = 0;
  for (const artifact of artifacts) {
    if (artifact.kind === 'file') total += (await fsp.stat(artifact.path)).size;
    else for (const f of artifact.files) total += (await fsp.stat(path.join(artifact.dir, f.relPath))).size;
  }
  return total;
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

async function skipped(job: Job, sink: JobSink, key: string, contentType: string, source: JobSource, signal: AbortSignal): Promise<Delivered> {
  const head = await sink.store.head(key, signal);
  const fileName = key.split('/').at(-1) ?? key;
  const sha256 = head?.metadata['sha256'] ?? '';
  return {
    files: [fileRow(job.id, sink, 'file', { key, sizeBytes: head?.sizeBytes ?? 0, sha256 }, fileName, head?.contentType ?? contentType)],
    source,
    bytes: head?.sizeBytes ?? 0,
    skipped: true,
    sha256Stored: sha256 !== '',
  };
}

/** HEAD after upload when the key may read; a size that differs is an integrity failure. */
async function verifyStored(sink: JobSink, key: string, sizeBytes: number, signal: AbortSignal): Promise<void> {
  let head;
  try {
    head = await sink.store.head(key, signal);
  } catch (error) {
    if (error instanceof AppError && error.code === 'ACCESS_DENIED') return;
    throw error;
  }
  if (head !== undefined && head.sizeBytes !== sizeBytes) {
    throw new AppError('INTEGRITY_MISMATCH', { details: { expectedBytes: sizeBytes, storedBytes: head.sizeBytes } });
  }
}

async function probeTarget(sink: JobSink, key: string, fileName: string, contentType: string): Promise<string> {
  if (sink.store instanceof LocalObjectStore) return sink.store.pathOf(key);
  return sink.store.presignGet(key, { expiresInSeconds: 900, fileName, contentType });
}

function sanitizeHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}
