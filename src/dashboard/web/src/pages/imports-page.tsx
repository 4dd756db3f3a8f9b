import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ImportView } from '../../../../client/index.js';
import { Empty, Loading, ProblemNotice } from '../components/problem-notice.js';
import { ImportProgress, StatusBadge } from '../components/status.js';
import { announce } from '../lib/announce.js';
import { formatDate, shortUrl } from '../lib/format.js';
import { useImportList } from '../lib/live.js';
import { href } from '../lib/router.js';
import { ImportForm } from './import-form.js';

export function ImportsPage({ headingRef }: { headingRef: RefObject<HTMLHeadingElement | null> }) {
  const list = useImportList();
  useFinishAnnouncements(list.items);
  return (
    <>
      <h1 tabIndex={-1} ref={headingRef}>
        Imports
      </h1>
      <ImportForm onCreated={() => list.refresh()} />
      <section class="section" aria-labelledby="imports-title">
        <h2 id="imports-title">Recent imports</h2>
        {list.problem !== undefined && (
          <ProblemNotice problem={list.problem} title="Could not load the imports" />
        )}
        {list.items === undefined && list.problem === undefined && <Loading what="imports" />}
        {list.items !== undefined && list.items.length === 0 && (
          <Empty>
            <p>No imports yet. Paste a media URL above to start one.</p>
          </Empty>
        )}
        {list.items !== undefined && list.items.length > 0 && (
          <ul class="import-list" aria-label="Imports, newest first">
            {list.items.map((item) => (
              <ImportRow key={item.id} item={item} />
            ))}
          </ul>
        )}
        {list.hasMore && (
          <button type="button" class="button secondary" onClick={list.showMore}>
            Show more
          </button>
        )}
      </section>
    </>
  );
}

export function importTitle(item: ImportView): string {
  return item.source?.title ?? shortUrl(item.url);
}

function ImportRow({ item }: { item: ImportView }) {
  const title = importTitle(item);
  return (
    <li class="import-row" data-import-id={item.id} data-status={item.status}>
      <div class="import-main">
        <a class="import-title" href={href({ page: 'import', id: item.id })}>
          {title}
        </a>
        <span class="muted small break">{item.url}</span>
      </div>
      <div class="import-state">
        <StatusBadge item={item} />
        {item.status === 'running' || item.status === 'queued' ? (
          <ImportProgress item={item} label={`Progress of ${title}`} />
        ) : (
          <span class="muted small">
            {item.status === 'completed' && item.result !== null
              ? `${item.result.files.length} file${item.result.files.length === 1 ? '' : 's'} · `
              : ''}
            {item.error !== null ? `${item.error.code} · ` : ''}
            {formatDate(item.finishedAt ?? item.createdAt)}
          </span>
        )}
      </div>
    </li>
  );
}

/** Tells the live region when an import the page has seen running finishes. */
function useFinishAnnouncements(items: ImportView[] | undefined): void {
  const seen = useRef(new Map<string, ImportView['status']>());
  useEffect(() => {
    if (items === undefined) return;
    for (const item of items) {
      const before = seen.current.get(item.id);
      if ((before === 'queued' || before === 'running') && before !== item.status) {
        announce(`Import ${importTitle(item)}: ${item.status}.`);
      }
      seen.current.set(item.id, item.status);
    }
  }, [items]);
}
