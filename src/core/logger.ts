import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths redacted from every log line. Secrets must never be logged in the first place; this is the
 * second line of defence against a whole object being logged by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'secret_key',
  '*.secret_key',
  'secret',
  '*.secret',
  'key',
  'password',
  '*.password',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'bucketload' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** Presigned URLs carry a signature that grants access: log them without their query string. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
