import { useEffect, useRef, useState } from 'preact/hooks';
import { announce } from '../lib/announce.js';

/** Copies `text`; says so in the live region. Falls back to selecting a field for manual copy. */
export function CopyButton({
  text,
  label,
  fallbackFieldId,
}: {
  text: string;
  label: string;
  fallbackFieldId?: string;
}) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
      announce('Copied to the clipboard.');
    } catch {
      const field = fallbackFieldId === undefined ? null : document.getElementById(fallbackFieldId);
      if (field instanceof HTMLInputElement) {
        field.focus();
        field.select();
      }
      announce('Copying is not allowed here; the text is selected: press Ctrl+C.');
    }
  };
  return (
    <button type="button" class="button secondary" onClick={() => void copy()}>
      {done ? 'Copied' : label}
    </button>
  );
}

/**
 * A destructive action in two steps, without a modal: the first press shows "Confirm" (focused)
 * and "Cancel"; Escape or Cancel goes back.
 */
export function ConfirmButton(props: {
  label: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  busyLabel?: string;
  describedBy?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const cancel = () => {
    setAsking(false);
    window.setTimeout(() => startRef.current?.focus(), 0);
  };
  if (!asking) {
    return (
      <button
        type="button"
        class="button danger-outline"
        ref={startRef}
        aria-describedby={props.describedBy}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" onKeyDown={(event) => event.key === 'Escape' && cancel()}>
      <button
        type="button"
        class="button danger"
        ref={confirmRef}
        disabled={busy}
        aria-describedby={props.describedBy}
        onClick={() => {
          setBusy(true);
          void Promise.resolve()
            .then(props.onConfirm)
            .finally(() => {
              setBusy(false);
              setAsking(false);
            });
        }}
      >
        {busy ? (props.busyLabel ?? 'Working…') : props.confirmLabel}
      </button>
      <button type="button" class="button secondary" onClick={cancel} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}
