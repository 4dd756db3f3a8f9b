import { ERROR_CODES, type ErrorSpec } from './error-codes.js';

/** docs/errors.md, rendered from the catalogue (a unit test keeps the file equal to this). */
export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, raw]) => {
    const spec: ErrorSpec = raw;
    const cell = (text: string | undefined) => (text ?? '').replaceAll('|', '\\|');
    return `| \`${code}\` | ${spec.status} | ${cell(spec.message)} | ${cell(spec.hint)} |`;
  });
  return [
    '# Error codes',
    '',
    'Every error response has the shape `{ "error": { "code", "message", "hint"?, "field"?, "details"? } }`.',
    '`code` is stable: match on it, not on the message. `field` names the request field a validation',
    'error is about (dotted path, e.g. `format.kind`). A 5xx never carries internals; the server log has',
    'them under the request id that every response returns in `x-request-id`.',
    '',
    'Failed imports carry the same codes in `error.code` of the import.',
    '',
    'This table is generated from `src/core/error-codes.ts` (`npm run docs:errors`).',
    '',
    '| code | HTTP status | message | hint |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
