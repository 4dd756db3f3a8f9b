import type { ComponentChildren } from 'preact';
import type { Problem } from '../lib/api.js';

/**
 * An error as the API gave it: the message, the stable code, and the hint that says what to do.
 * `role="alert"` makes a screen reader read it as soon as it appears.
 */
export function ProblemNotice({ problem, title }: { problem: Problem; title?: string }) {
  return (
    <div class="notice notice-error" role="alert">
      {title !== undefined && <p class="notice-title">{title}</p>}
      <p class="problem-message">{problem.message}</p>
      {problem.hint !== undefined && <p class="problem-hint">{problem.hint}</p>}
      <p class="problem-code">
        <span class="visually-hidden">Error code: </span>
        <code>{problem.code}</code>
        {problem.field !== undefined && <span> · field {problem.field}</span>}
      </p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}
