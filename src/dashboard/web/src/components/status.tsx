import type { ImportView } from '../../../../client/index.js';

const LABELS: Record<ImportView['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
};

export function StatusBadge({ item }: { item: Pick<ImportView, 'status' | 'phase'> }) {
  const phase = item.status === 'running' && item.phase !== null ? ` · ${item.phase}` : '';
  return <span class={`badge status-${item.status}`}>{LABELS[item.status] + phase}</span>;
}

/** A native <progress> (announced by screen readers) with the numbers beside it. */
export function ImportProgress({ item, label }: { item: ImportView; label: string }) {
  const { percent, bytes, totalBytes } = item.progress;
  const done = item.status === 'completed';
  const value = done ? 100 : percent;
  return (
    <div class="progress">
      {value === null ? (
        <progress aria-label={label} />
      ) : (
        <progress aria-label={label} max={100} value={value} />
      )}
      <span class="progress-text">
        {value === null ? '' : `${Math.round(value)}%`}
        {bytes > 0 &&
          ` · ${formatShort(bytes)}${totalBytes === null ? '' : ` of ${formatShort(totalBytes)}`}`}
      </span>
    </div>
  );
}

function formatShort(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}
