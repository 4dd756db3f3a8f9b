import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ImportFile, ImportView } from '../../../../client/index.js';
import { ConfirmButton, CopyButton } from '../components/buttons.js';
import { Empty, Loading, ProblemNotice } from '../components/problem-notice.js';
import { ImportProgress, StatusBadge } from '../components/status.js';
import { announce } from '../lib/announce.js';
import { api, asProblem, call, Problem } from '../lib/api.js';
import { formatBytes, formatDate, formatDuration } from '../lib/format.js';
import { isActive, useLiveImport } from '../lib/live.js';
import { href } from '../lib/router.js';
import { importTitle } from './imports-page.js';

export function ImportDetailPage({
  id,
  headingRef,
}: {
  id: string;
  headingRef: RefObject<HTMLHeadingElement | null>;
}) {
  const live = useLiveImport(id);
  const [cancelProblem, setCancelProblem] = useState<Problem | undefined>(undefined);
  const item = live.item;
  const status = item?.status;
  useEffect(() => {
    if (status !== undefined && status !== 'queued' && status !== 'running') announce(`Import ${status}.`);
  }, [status]);

  const back = (
    <p class="back">
      <a href={href({ page: 'imports' })}>← All imports</a>
    </p>
  );
  if (item === undefined) {
    return (
      <>
        {back}
        <h1 tabIndex={-1} ref={headingRef}>
          Import
        </h1>
        {live.problem === undefined ? (
          <Loading what="the import" />
        ) : (
          <ProblemNotice problem={live.problem} title="Could not load the import" />
        )}
      </>
    );
  }
  const title = importTitle(item);
  return (
    <>
      {back}
      <h1 tabIndex={-1} ref={headingRef} class="break">
        {title}
      </h1>
      <div class="detail-status" data-status={item.status}>
        <StatusBadge item={item} />
        {isActive(item) && <ImportProgress item={item} label={`Progress of ${title}`} />}
        {isActive(item) && (
          <span class="muted small">
            {live.mode === 'sse' ? 'Live (server-sent events)' : 'Updating every second'}
          </span>
        )}
        {isActive(item) && (
          <ConfirmButton
            label="Cancel import"
            confirmLabel="Yes, cancel it"
            busyLabel="Canceling…"
            onConfirm={async () => {
              setCancelProblem(undefined);
              try {
                live.replace(await call(api.POST('/v1/imports/{id}/cancel', { params: { path: { id } } })));
                announce('Import canceled.');
              } catch (error) {
                setCancelProblem(asProblem(error));
              }
            }}
          />
        )}
      </div>
      {cancelProblem !== undefined && <ProblemNotice problem={cancelProblem} title="Could not cancel" />}
      {live.problem !== undefined && <ProblemNotice problem={live.problem} title="Could not refresh" />}
      {item.error !== null && (
        <ProblemNotice
          problem={new Problem(item.error.code, item.error.message, item.error.hint, 0)}
          title={`The import ${item.status === 'failed' ? 'failed' : 'stopped'}`}
        />
      )}
      {item.result?.fallback !== undefined && (
        <div class="notice notice-warn" role="note">
          <p class="notice-title">Delivered to managed storage instead of your bucket</p>
          <p>{item.result.fallback.reason}</p>
        </div>
      )}
      <section class="section" aria-labelledby="facts-title">
        <h2 id="facts-title">Details</h2>
        <dl class="facts">
          <dt>Source</dt>
          <dd class="break">
            <a href={item.url} rel="noreferrer noopener" target="_blank">
              {item.url}
            </a>
          </dd>
          {item.source?.duration != null && (
            <>
              <dt>Duration</dt>
              <dd>{formatDuration(item.source.duration)}</dd>
            </>
          )}
          {item.source?.extractor != null && (
            <>
              <dt>Extractor</dt>
              <dd>{item.source.extractor}</dd>
            </>
          )}
          <dt>Stored in</dt>
          <dd>
            {item.result === null
              ? '—'
              : item.result.storage === 'managed'
                ? 'Managed storage'
                : 'Your bucket'}
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(item.createdAt)}</dd>
          <dt>Finished</dt>
          <dd>{formatDate(item.finishedAt)}</dd>
          <dt>Attempts</dt>
          <dd>{item.attempts}</dd>
          <dt>Import ID</dt>
          <dd>
            <code>{item.id}</code>
          </dd>
        </dl>
      </section>
      {item.result !== null && item.result.children !== undefined && <Children parent={item} />}
      <section class="section" aria-labelledby="files-title">
        <h2 id="files-title">Files</h2>
        {item.result === null || item.result.files.length === 0 ? (
          <Empty>
            <p>
              {isActive(item)
                ? 'Files appear here when the import completes.'
                : 'This import produced no files.'}
            </p>
          </Empty>
        ) : (
          <ul class="files" aria-label="Files">
            {item.result.files.map((file, _index, files) => (
              <FileCard key={file.id} file={file} withPlayer={hasPlayer(file, files)} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function isHls(file: ImportFile): boolean {
  return /mpegurl/i.test(file.contentType) || file.key.endsWith('.m3u8');
}

/**
 * One player per output: an HLS or DASH ladder lists its master and every rendition playlist as
 * files, but only the master is worth a player.
 */
function hasPlayer(file: ImportFile, files: readonly ImportFile[]): boolean {
  if (file.role !== 'hls' && file.role !== 'dash') return true;
  const same = files.filter((f) => f.role === file.role);
  const master = same.find((f) => /(^|\/)(master\.m3u8|manifest\.mpd)$/.test(f.key)) ?? same[0];
  return master?.id === file.id;
}

function FileCard({ file, withPlayer }: { file: ImportFile; withPlayer: boolean }) {
  const shaId = `sha-${file.id}`;
  return (
    <li class="card file" data-file-role={file.role}>
      <div class="card-head">
        <h3 class="break">{file.fileName}</h3>
        <span class="badge">{file.role}</span>
      </div>
      {withPlayer && <Player file={file} />}
      <dl class="facts">
        <dt>Size</dt>
        <dd data-testid="file-size">
          {formatBytes(file.sizeBytes)} <span class="muted">({file.sizeBytes.toLocaleString()} bytes)</span>
        </dd>
        <dt>SHA-256</dt>
        <dd class="sha">
          <code id={shaId} data-testid="file-sha256">
            {file.sha256}
          </code>{' '}
          <CopyButton text={file.sha256} label="Copy SHA-256" />
        </dd>
        <dt>Type</dt>
        <dd>{file.contentType}</dd>
        <dt>Location</dt>
        <dd class="break">
          {file.bucket !== null && <code>{file.bucket}/</code>}
          <code>{file.key}</code>
        </dd>
        <dt>Link</dt>
        <dd>
          {file.presignedUrl === null ? (
            <span class="muted">No presigned link (the key may not presign).</span>
          ) : (
            <>
              <a
                class="button secondary small"
                href={file.presignedUrl}
                rel="noreferrer noopener"
                target="_blank"
                data-testid="presigned-link"
              >
                Download {file.fileName}
              </a>{' '}
              <span class="muted small">expires {formatDate(file.presignedUrlExpiresAt)}</span>
            </>
          )}
        </dd>
      </dl>
    </li>
  );
}

/**
 * A player for video, audio and HLS outputs (Chromium and Safari play HLS natively), an image for
 * thumbnails. The first presigned URL is kept for the life of the card: every refresh of the import
 * brings a newly signed URL, and changing `src` would restart playback.
 */
function Player({ file }: { file: ImportFile }) {
  const [src] = useState(file.presignedUrl);
  const [failed, setFailed] = useState(false);
  if (src === null) return null;
  const label = `${file.fileName} (${file.role})`;
  if (failed) {
    return (
      <div class="notice notice-warn" role="note">
        <p class="notice-title">This browser could not play {file.fileName}.</p>
        <p>
          {isHls(file)
            ? 'A presigned link of a private bucket covers this playlist only; the player also needs the renditions and segments it lists. Managed-storage links cover the whole folder; for a bucket, make the folder readable (or serve it through a CDN) to play it here.'
            : 'Its codec may not be supported here, or the link may have expired; the download link still works.'}
        </p>
      </div>
    );
  }
  if (file.contentType.startsWith('video/') || isHls(file)) {
    return (
      <video
        class="player"
        controls
        preload="metadata"
        playsInline
        src={src}
        aria-label={`Video: ${label}`}
        onError={() => setFailed(true)}
      />
    );
  }
  if (file.contentType.startsWith('audio/')) {
    return (
      <audio
        class="player"
        controls
        preload="metadata"
        src={src}
        aria-label={`Audio: ${label}`}
        onError={() => setFailed(true)}
      />
    );
  }
  if (file.contentType.startsWith('image/')) {
    return <img class="thumbnail" src={src} alt={`Thumbnail: ${label}`} loading="lazy" />;
  }
  if (/dash\+xml/.test(file.contentType)) {
    return (
      <p class="muted small">
        Browsers have no built-in DASH player; use the link with a DASH player such as dash.js or VLC.
      </p>
    );
  }
  return null;
}

function Children({ parent }: { parent: ImportView }) {
  const [items, setItems] = useState<ImportView[] | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const counts = parent.result?.children;
  useEffect(() => {
    call(api.GET('/v1/imports', { params: { query: { parentId: parent.id, limit: '100' } } }))
      .then((page) => setItems(page.items))
      .catch((error: unknown) => setProblem(asProblem(error)));
  }, [parent.id, parent.updatedAt]);
  return (
    <section class="section" aria-labelledby="children-title">
      <h2 id="children-title">Playlist entries</h2>
      {counts !== undefined && (
        <p class="muted">
          {counts.completed} of {counts.total} completed{counts.failed > 0 ? `, ${counts.failed} failed` : ''}
          .
        </p>
      )}
      {problem !== undefined && <ProblemNotice problem={problem} />}
      {items === undefined && problem === undefined && <Loading what="the entries" />}
      {items !== undefined && (
        <ul class="import-list">
          {items.map((child) => (
            <li class="import-row" key={child.id}>
              <a class="import-title" href={href({ page: 'import', id: child.id })}>
                {importTitle(child)}
              </a>
              <StatusBadge item={child} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
