import { useEffect, useState } from 'preact/hooks';

// One polite live region for the whole app: "Saved", "Copied", "Import completed"… A screen
// reader hears them without the focus moving.
type Listener = (message: string) => void;
const listeners = new Set<Listener>();

export function announce(message: string): void {
  for (const listener of listeners) listener(message);
}

export function useAnnouncement(): string {
  const [message, setMessage] = useState('');
  useEffect(() => {
    let timer: number | undefined;
    const listener: Listener = (text) => {
      // Clearing first makes the same message twice in a row be read twice.
      setMessage('');
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setMessage(text), 50);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      window.clearTimeout(timer);
    };
  }, []);
  return message;
}
