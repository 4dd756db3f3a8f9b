/**
 * Turns a tool's stderr into a short message safe to put in an error: the last meaningful lines,
 * capped, with credentials in URLs (`scheme://user:pass@host`) masked so a proxy password or a
 * signed source URL's userinfo never reaches a job's error column.
 */
export function summarizeToolOutput(stderr: string, maxLines = 3, maxChars = 500): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const text = redactUrlCredentials(lines.slice(-maxLines).join(' | '));
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi, '$1***@');
}
