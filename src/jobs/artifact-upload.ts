import fs from 'node:fs';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { AppError, toError } from '../core/errors.js';
import type { JobFileTable } from '../db/job-file.table.js';
import { buildObjectKey, contentDisposition } from '../storage/object-key.js';
import type { ObjectHead, StoredObject } from '../storage/object-store.js';
import type { JobSink } from '../storage/storage-resolver.js';
import { fileRow } from './delivery.js';
import type { IfExists } from './import-request.js';
import type { Job } from './job.js';
import type { Artifact, TreeFile } from './media-engine.js';

/**
 * Uploading a media job's artifacts. The key layout, from one base `<dir>/<name>` (the `path` or the
 * destination's prefix, and the `filename` or the title):
 *
 *   file        <base>.<ext>                  ext from ffprobe: mp4, webm, mkv, m4a, mp3, opus, …
 *   audio       <base>.<ext>                  m4a, mp3 or opus; `<base>.audio.<ext>` if the file has that key
 *   thumbnail   <base>.jpg
 *   hls         <base>/hls/master.m3u8        + <base>/hls/<rung>/index.m3u8 and segment_NNNNN.ts
 *   dash        <base>/dash/manifest.mpd      + init-<n>.m4s and chunk-<n>-NNNNN.m4s
 * A Qencode-style destination whose url names a folder puts hls/dash straight into that folder.
 *
 * `ifExists` applies to the whole set: `rename` picks one free base (`<name> (1)`) for all of them,
 * `fail` refuses when any of the keys exists, `skip` keeps each existing file (and tree) as it is.
 */

/** Files of a tree uploaded at once. Small segments: the round trip, not the bandwidth, is the cost. */
const TREE_CONCURRENCY = 6;

export interface UploadArtifactsInput {
  readonly job: Job;
  readonly sink: JobSink;
  readonly signal: AbortSignal;
  /** The title the base name falls back to when the request has no `filename`. */
  readonly title: string;
  readonly artifacts: readonly Artifact[];
  /** Bytes handed to the store so far, of all artifacts. */
  onProgress(uploadedBytes: number, totalBytes: number): void;
}

export interface UploadedArtifacts {
  readonly files: Insertable<JobFileTable>[];
  readonly bytes: number;
  /** Every artifact already existed and `ifExists: skip` kept it. */
  readonly skipped: boolean;
  readonly sha256Stored: boolean;
}

interface Placed {
  readonly artifact: Artifact;
  /** The file's key, or the tree's entry (master playlist / manifest) key. */
  readonly key: string;
  /** Trees: the folder every file of the tree goes under. */
  readonly folder?: string;
}

/** The base key (without extension) the artifacts' keys derive from. */
export function artifactBase(job: Job, sink: JobSink, title: string, artifacts: readonly Artifact[]): string {
  const primary =
    artifacts.find((a) => a.kind === 'file' && a.role === 'file') ?? artifacts.find((a) => a.kind === 'file');
  const ext = primary?.kind === 'file' ? primary.ext : '';
  const key = buildObjectKey({
    pathPrefix: sink.pathPrefix,
    path: job.request.path,
    filename: job.request.filename,
    title,
    ext,
    jobId: job.id,
  });
  return ext === '' ? key : key.slice(0, key.length - ext.length - 1);
}

/** Where each artifact goes under `base` (see the layout above). */
export function placeArtifacts(base: string, artifacts: readonly Artifact[], treeFolder?: string): Placed[] {
  const taken = new Set<string>();
  return artifacts.map((artifact): Placed => {
    if (artifact.kind === 'tree') {
      // Qencode-style destinations name the stream's folder itself; HLS and DASH file names differ.
      const folder = treeFolder ?? `${base}/${artifact.role}`;
      return { artifact, key: `${folder}/${artifact.entry}`, folder };
    }
    let key = `${base}.${artifact.ext}`;
    if (taken.has(key)) key = `${base}.${artifact.role}.${artifact.ext}`;
    taken.add(key);
    return { artifact, key };
  });
}

function renamedBase(base: string, n: number): string {
  return n === 0 ? base : `${base} (${n})`;
}

async function headOrUndefined(
  sink: JobSink,
  key: string,
  signal: AbortSignal,
): Promise<ObjectHead | undefined> {
  try {
    return await sink.store.head(key, signal);
  } catch (error) {
    // A key that may write but not read: the conditional write decides instead.
    if (error instanceof AppError && error.code === 'ACCESS_DENIED') return undefined;
    throw error;
  }
}

/** Applies `ifExists` to the whole set of keys; returns the placements and which already exist. */
async function decidePlacement(
  sink: JobSink,
  base: string,
  artifacts: readonly Artifact[],
  ifExists: IfExists,
  signal: AbortSignal,
  treeFolder?: string,
): Promise<{ placed: Placed[]; existing: Map<number, ObjectHead>; ifNoneMatch: boolean }> {
  const heads = async (placed: Placed[]) => {
    const existing = new Map<number, ObjectHead>();
    for (const [index, p] of placed.entries()) {
      const head = await headOrUndefined(sink, p.key, signal);
      if (head !== undefined) existing.set(index, head);
    }
    return existing;
  };
  switch (ifExists) {
    case 'overwrite':
      return { placed: placeArtifacts(base, artifacts, treeFolder), existing: new Map(), ifNoneMatch: false };
    case 'fail': {
      const placed = placeArtifacts(base, artifacts, treeFolder);
      const existing = await heads(placed);
      const first = existing.keys().next();
      if (!first.done) {
        throw new AppError('OBJECT_EXISTS', {
          field: 'ifExists',
          retryable: false,
          details: { key: placed[first.value]?.key },
        });
      }
      return { placed, existing, ifNoneMatch: true };
    }
    case 'skip': {
      const placed = placeArtifacts(base, artifacts, treeFolder);
      return { placed, existing: await heads(placed), ifNoneMatch: true };
    }
    case 'rename':
      for (let n = 0; n <= 1000; n += 1) {
        const placed = placeArtifacts(renamedBase(base, n), artifacts, treeFolder);
        if ((await heads(placed)).size === 0) return { placed, existing: new Map(), ifNoneMatch: true };
      }
      throw new AppError('OBJECT_EXISTS', {
        field: 'ifExists',
        retryable: false,
        message: 'No free name after 1000 renames.',
      });
  }
}

/**
 * Uploads the artifacts into the sink: single files one after another, each tree's files in
 * parallel (bounded), segments first and the master playlist / manifest last, so a visible entry
 * means a complete tree. What this call wrote is removed again if it fails or is canceled.
 */
export async function uploadArtifacts(input: UploadArtifactsInput): Promise<UploadedArtifacts> {
  const { job, sink, signal } = input;
  const base = artifactBase(job, sink, input.title, input.artifacts);
  const { placed, existing, ifNoneMatch } = await decidePlacement(
    sink,
    base,
    input.artifacts,
    job.request.ifExists,
    signal,
    job.request.abrFolder === true && job.request.path !== undefined && job.request.path !== ''
      ? job.request.path
      : undefined,
  );

  const total = placed.reduce((sum, p, i) => sum + (existing.has(i) ? 0 : artifactBytes(p.artifact)), 0);
  let done = 0;
  const inFlight = new Map<string, number>();
  const report = (): void =>
    input.onProgress(done + [...inFlight.values()].reduce((a, b) => a + b, 0), total);
  const written: string[] = [];
  const rows: Insertable<JobFileTable>[] = [];
  let sha256Stored = true;
  const createdAt = Date.now();
  const addRow = (
    role: Artifact['role'],
    stored: Pick<StoredObject, 'key' | 'sizeBytes' | 'sha256'>,
    contentType: string,
  ): void => {
    const fileName = stored.key.split('/').at(-1) ?? stored.key;
    // Explicit creation times keep the listing in this order (master first, then its renditions).
    rows.push({
      ...fileRow(job.id, sink, role, stored, fileName, contentType),
      created_at: createdAt + rows.length,
    });
  };

  const put = async (
    key: string,
    file: string,
    sizeBytes: number,
    contentType: string,
    options: { conditional: boolean; disposition: boolean; signal: AbortSignal },
  ): Promise<StoredObject> => {
    const fileName = key.split('/').at(-1) ?? key;
    inFlight.set(key, 0);
    const stored = await sink.store.put({
      key,
      body: fs.createReadStream(file),
      contentType,
      contentLength: sizeBytes,
      ...(options.disposition ? { contentDisposition: contentDisposition(fileName) } : {}),
      ifNoneMatch: options.conditional,
      signal: options.signal,
      onProgress: (bytes) => {
        inFlight.set(key, bytes);
        report();
      },
    });
    written.push(key);
    inFlight.delete(key);
    done += sizeBytes;
    report();
    if (stored.sizeBytes !== sizeBytes) {
      throw new AppError('INTEGRITY_MISMATCH', {
        details: { key, expectedBytes: sizeBytes, storedBytes: stored.sizeBytes },
      });
    }
    sha256Stored &&= stored.sha256Stored;
    return stored;
  };

  try {
    for (const [index, p] of placed.entries()) {
      const kept = existing.get(index);
      const { artifact } = p;
      if (kept !== undefined) {
        const contentType =
          kept.contentType ?? (artifact.kind === 'file' ? artifact.contentType : entryType(artifact));
        addRow(
          artifact.role,
          { key: p.key, sizeBytes: kept.sizeBytes, sha256: kept.metadata['sha256'] ?? '' },
          contentType,
        );
        sha256Stored &&= kept.metadata['sha256'] !== undefined;
        continue;
      }
      if (artifact.kind === 'file') {
        const stored = await put(p.key, artifact.path, artifact.sizeBytes, artifact.contentType, {
          conditional: ifNoneMatch,
          disposition: true,
          signal,
        });
        await verifyStored(sink, p.key, artifact.sizeBytes, signal);
        addRow(artifact.role, stored, artifact.contentType);
        continue;
      }
      const folder = p.folder ?? '';
      const keyOf = (f: TreeFile): string => `${folder}/${f.relPath}`;
      const upload = (f: TreeFile, s: AbortSignal, conditional = false) =>
        put(keyOf(f), path.join(artifact.dir, f.relPath), f.sizeBytes, f.contentType, {
          conditional,
          disposition: false,
          signal: s,
        });
      const playlists = new Set([artifact.entry, ...artifact.renditionPlaylists]);
      await forEachLimited(
        artifact.files.filter((f) => !playlists.has(f.relPath)),
        TREE_CONCURRENCY,
        signal,
        (f, s) => upload(f, s),
      );
      const renditions = artifact.files
        .filter((f) => artifact.renditionPlaylists.includes(f.relPath))
        .sort(byRungHeight);
      const storedRenditions = new Map<string, StoredObject>();
      await forEachLimited(renditions, TREE_CONCURRENCY, signal, async (f, s) => {
        storedRenditions.set(f.relPath, await upload(f, s));
      });
      const entry = artifact.files.find((f) => f.relPath === artifact.entry);
      if (entry === undefined)
        throw new AppError('TOOL_FAILED', {
          message: `The ${artifact.role} output has no ${artifact.entry}.`,
        });
      const stored = await upload(entry, signal, ifNoneMatch);
      await verifyStored(sink, p.key, entry.sizeBytes, signal);
      addRow(artifact.role, stored, entry.contentType);
      for (const f of renditions) {
        const r = storedRenditions.get(f.relPath);
        if (r !== undefined) addRow(artifact.role, r, f.contentType);
      }
    }
  } catch (error) {
    // Deterministic keys mean a retry would overwrite them, but a canceled or failed job must not
    // leave half a ladder behind.
    await forEachLimited(written, TREE_CONCURRENCY, new AbortController().signal, (key) =>
      sink.store.delete(key),
    ).catch(() => {});
    throw error;
  }
  return {
    files: rows,
    bytes: done,
    skipped: placed.length > 0 && existing.size === placed.length,
    sha256Stored,
  };
}

function artifactBytes(artifact: Artifact): number {
  return artifact.kind === 'file'
    ? artifact.sizeBytes
    : artifact.files.reduce((sum, f) => sum + f.sizeBytes, 0);
}

function entryType(artifact: Extract<Artifact, { kind: 'tree' }>): string {
  return artifact.files.find((f) => f.relPath === artifact.entry)?.contentType ?? 'application/octet-stream';
}

/** Tallest rung first (`720p/index.m3u8` before `240p/index.m3u8`). */
function byRungHeight(a: TreeFile, b: TreeFile): number {
  const height = (f: TreeFile): number => Number(/^(\d+)/.exec(f.relPath)?.[1] ?? 0);
  return height(b) - height(a) || a.relPath.localeCompare(b.relPath);
}

/** HEAD after upload when the key may read; a size that differs is an integrity failure. */
async function verifyStored(
  sink: JobSink,
  key: string,
  sizeBytes: number,
  signal: AbortSignal,
): Promise<void> {
  const head = await headOrUndefined(sink, key, signal);
  if (head !== undefined && head.sizeBytes !== sizeBytes) {
    throw new AppError('INTEGRITY_MISMATCH', {
      details: { key, expectedBytes: sizeBytes, storedBytes: head.sizeBytes },
    });
  }
}

/**
 * Runs `fn` over `items`, at most `limit` at a time. The first failure stops new work and aborts
 * the signal handed to the calls in flight; it is rethrown once they have settled.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T, signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: { error: Error } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && !controller.signal.aborted && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await fn(item, controller.signal);
      } catch (error) {
        failure ??= { error: toError(error) };
        controller.abort(failure.error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.error;
  if (signal.aborted) throw toError(signal.reason);
}
