import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ImportView } from '../../../../client/index.js';
import { api, asProblem, call, type Problem } from './api.js';
import { readKey } from './session.js';

const ACTIVE = new Set<ImportView['status']>(['queued', 'running']);
export const isActive = (item: ImportView): boolean => ACTIVE.has(item.status);

// Polling cadence: quick while something moves, slow when all is finished; nothing while the tab
// is hidden (it catches up when shown again).
const FAST_MS = 1_000;
const SLOW_MS = 10_000;

function visible(): boolean {
  return document.visibilityState !== 'hidden';
}

/** Runs `tick` now and then again after the delay it returns, until the effect is torn down. */
function usePoller(tick: (signal: AbortSignal) => Promise<number>, deps: unknown[]): () => void {
  const wake = useRef<() => void>(() => {});
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    let running = false;
    const run = async () => {
      if (running || controller.signal.aborted) return;
      running = true;
      window.clearTimeout(timer);
      let delay = SLOW_MS;
      try {
        delay = visible() ? await tick(controller.signal) : SLOW_MS;
      } finally {
        running = false;
      }
      if (!controller.signal.aborted) timer = window.setTimeout(() => void run(), delay);
    };
    wake.current = () => void run();
    const onVisible = () => {
      if (visible()) void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, deps); // the caller names the deps
  return useCallback(() => wake.current(), []);
}

export interface ImportList {
  readonly items: ImportView[] | undefined;
  readonly problem: Problem | undefined;
  readonly hasMore: boolean;
  readonly showMore: () => void;
  readonly refresh: () => void;
}

/** The newest imports, kept fresh by polling GET /v1/imports. */
export function useImportList(): ImportList {
  const [items, setItems] = useState<ImportView[] | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [hasMore, setHasMore] = useState(false);
  const [limit, setLimit] = useState(25);
  const refresh = usePoller(async () => {
    try {
      const page = await call(api.GET('/v1/imports', { params: { query: { limit: String(limit) } } }));
      setItems(page.items);
      setHasMore(page.nextCursor !== null);
      setProblem(undefined);
      return page.items.some(isActive) ? FAST_MS : SLOW_MS;
    } catch (error) {
      setProblem(asProblem(error));
      return SLOW_MS;
    }
  }, [limit]);
  return { items, problem, hasMore, refresh, showMore: () => setLimit((n) => Math.min(100, n + 25)) };
}

export interface LiveImport {
  readonly item: ImportView | undefined;
  readonly problem: Problem | undefined;
  /** 'sse' while an event stream is open, 'polling' otherwise. */
  readonly mode: 'sse' | 'polling';
  readonly refresh: () => void;
  readonly replace: (item: ImportView) => void;
}

/**
 * One import, live: over SSE (`GET /v1/imports/{id}/events`) when the API documents it, read with
 * fetch because EventSource cannot send the Authorization header; any event triggers a re-read of
 * the import through the typed client. Without SSE, or when the stream breaks, it polls.
 */
export function useLiveImport(id: string): LiveImport {
  const [item, setItem] = useState<ImportView | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [mode, setMode] = useState<'sse' | 'polling'>('polling');
  const streaming = useRef(false);

  const load = useCallback(async (): Promise<ImportView | undefined> => {
    try {
      const view = await call(api.GET('/v1/imports/{id}', { params: { path: { id } } }));
      setItem(view);
      setProblem(undefined);
      return view;
    } catch (error) {
      setProblem(asProblem(error));
      return undefined;
    }
  }, [id]);

  const refresh = usePoller(
    async (signal) => {
      const view = await load();
      if (view === undefined) return SLOW_MS;
      if (!isActive(view)) return 600_000;
      if (__SSE_DOCUMENTED__ && !streaming.current) {
        streaming.current = true;
        setMode('sse');
        void followEvents(id, signal, () => void load()).finally(() => {
          streaming.current = false;
          setMode('polling');
        });
      }
      // While a stream is open, polling only backs it up.
      return streaming.current ? SLOW_MS : FAST_MS;
    },
    [id],
  );
  return { item, problem, mode, refresh, replace: setItem };
}

/** Reads an SSE stream until it ends or fails; calls `onEvent` (throttled) for each event. */
async function followEvents(id: string, signal: AbortSignal, onEvent: () => void): Promise<void> {
  const key = readKey();
  if (key === undefined) return;
  let last = 0;
  let pending: number | undefined;
  const throttled = () => {
    const wait = Math.max(0, last + 500 - Date.now());
    if (pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      last = Date.now();
      onEvent();
    }, wait);
  };
  try {
    const response = await fetch(`/v1/imports/${encodeURIComponent(id)}/events`, {
      headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
      signal,
    });
    if (
      !response.ok ||
      response.body === null ||
      !(response.headers.get('content-type') ?? '').includes('text/event-stream')
    )
      return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        if (block.split(/\r?\n/).some((line) => line.startsWith('data:') || line.startsWith('event:')))
          throttled();
      }
    }
  } catch {
    // Aborted (the view closed) or the connection broke: polling takes over.
  } finally {
    if (pending !== undefined) window.clearTimeout(pending);
    if (!signal.aborted) onEvent();
  }
}
