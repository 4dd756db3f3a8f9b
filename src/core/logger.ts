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
    // Replaces Fastify's request serializer (it takes the logger's own): managed-storage download
    // links carry their signature in the query string, so request URLs are logged without it.
    serializers: { req: serializeRequest },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** Presigned URLs carry a signature that grants access: log them without their query string. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}

/** Fastify's `req` log fields, with the query string redacted. */
function serializeRequest(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
