import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { ProblemNotice } from '../components/problem-notice.js';
import { asProblem, type Problem } from '../lib/api.js';

/** The API key is typed (or pasted) here and kept in session storage; it never goes in a URL. */
export function SignInPage(props: {
  onSignIn: (key: string) => Promise<void>;
  reason: Problem | undefined;
  headingRef: RefObject<HTMLHeadingElement | null>;
}) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed === '') return;
    setBusy(true);
    setProblem(undefined);
    try {
      await props.onSignIn(trimmed);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  const shown = problem ?? props.reason;
  return (
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit={(event) => void submit(event)} aria-labelledby="signin-title">
        <p class="brand brand-large">
          <img src="/favicon.svg" alt="" width={32} height={32} /> bucketload
        </p>
        <h1 id="signin-title" tabIndex={-1} ref={props.headingRef}>
          Sign in
        </h1>
        <p class="muted">
          Use an API key (it starts with <code>bl_</code>). <code>bucketload serve</code> prints the first
          admin key; <code>bucketload keys create</code> makes more. The key stays in this tab only and is
          forgotten when you close it.
        </p>
        {shown !== undefined && (
          <ProblemNotice
            problem={shown}
            title={problem === undefined ? 'You were signed out' : 'Could not sign in'}
          />
        )}
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellcheck={false}
            required
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
            aria-describedby="api-key-help"
          />
          <p id="api-key-help" class="help">
            Sent as <code>Authorization: Bearer</code> with each request.
          </p>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
