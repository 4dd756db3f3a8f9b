/**
 * The one catalogue of stable error codes. Each code has an HTTP status, a default message and a
 * hint. Domain code throws `AppError(code, …)`; only the HTTP layer turns it into a response.
 * docs/errors.md is generated from this table (`npm run docs:errors`) and a unit test keeps them equal.
 *
 * To add a code, add one line here (keep the groups); never rename or reuse a code.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
  readonly hint?: string;
}

export const ERROR_CODES = {
  // Request shape
  VALIDATION_FAILED: {
    status: 400,
    message: 'The request is invalid.',
    hint: 'See `field` for the offending field.',
  },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the body as application/json.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  INVALID_CURSOR: {
    status: 400,
    message: 'The pagination cursor is invalid.',
    hint: 'Use the `nextCursor` of a previous page.',
  },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route.', hint: 'See GET /docs for the API description.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this route.' },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests.',
    hint: 'Wait for the time in the Retry-After header.',
  },

  // Authentication and authorisation
  AUTH_MISSING: {
    status: 401,
    message: 'An API key is required.',
    hint: 'Send `Authorization: Bearer <key>` or `x-api-key: <key>`.',
  },
  AUTH_INVALID: {
    status: 401,
    message: 'The API key is not valid.',
    hint: 'Check the key, or create a new one with `bucketload keys create`.',
  },
  AUTH_REVOKED: { status: 401, message: 'The API key has been revoked.', hint: 'Create a new key.' },
  FORBIDDEN: { status: 403, message: 'This action needs an admin key.' },

  // Users and keys
  USER_EXISTS: { status: 409, message: 'A user with this name already exists.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.' },
  KEY_NOT_FOUND: { status: 404, message: 'No such API key.' },

  // Imports
  IMPORT_NOT_FOUND: { status: 404, message: 'No such import.' },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This Idempotency-Key was already used with a different request body.',
    hint: 'Use a new Idempotency-Key for a different request.',
  },
  IMPORT_NOT_CANCELABLE: { status: 409, message: 'The import has already finished and cannot be canceled.' },
  TOO_MANY_ACTIVE_JOBS: {
    status: 429,
    message: 'Too many imports are queued or running for this user.',
    hint: 'Wait for some to finish.',
  },
  JOB_CANCELED: { status: 409, message: 'The import was canceled.' },
  INTERNAL: {
    status: 500,
    message: 'Internal error.',
    hint: 'The server log has the details, under the request id.',
  },
  WORKER_LOST: { status: 500, message: 'The import was interrupted too many times and gave up.' },

  // Sources
  INVALID_URL: {
    status: 400,
    message: 'The URL is not a valid http(s) URL.',
    hint: 'Use an absolute http:// or https:// URL.',
  },
  EGRESS_DENIED: {
    status: 403,
    message: 'The address is not allowed by the egress policy.',
    hint: 'Only public addresses are reachable; an operator can allow others with BUCKETLOAD_EGRESS_ALLOW.',
  },
  TOO_MANY_REDIRECTS: { status: 400, message: 'The source redirected too many times.' },
  SOURCE_HTTP_ERROR: { status: 422, message: 'The source answered with an HTTP error.' },
  SOURCE_UNREACHABLE: {
    status: 502,
    message: 'The source could not be reached.',
    hint: 'Check the host name and that the server is up.',
  },
  SOURCE_TIMEOUT: { status: 504, message: 'The source stopped sending data.' },
  SOURCE_TRUNCATED: {
    status: 502,
    message: 'The source sent fewer bytes than it announced.',
    hint: 'The server closed the connection early; try again later.',
  },
  SOURCE_CHANGED: { status: 502, message: 'The source changed while it was being downloaded.' },
  UNSUPPORTED_URL: {
    status: 422,
    message: 'No media could be extracted from this URL.',
    hint: 'Give a direct media file, an HLS/DASH manifest or a page with a video.',
  },
  NO_MEDIA_FOUND: {
    status: 422,
    message: 'The page has no media.',
    hint: 'Give the URL of the media file or its HLS/DASH manifest; for a site-specific page, point BUCKETLOAD_YTDLP_PATH at a current yt-dlp.',
  },
  MEDIA_UNAVAILABLE: {
    status: 422,
    message: 'The media is private, removed or unavailable.',
    hint: 'The site refused it (private, removed, region-locked or login required); bucketload does not sign in to sites.',
  },
  FILE_TOO_LARGE: {
    status: 413,
    message: 'The file is larger than this server accepts.',
    hint: 'The limit is BUCKETLOAD_MAX_FILE_BYTES.',
  },
  MEDIA_TOO_LONG: {
    status: 422,
    message: 'The media is longer than this server accepts.',
    hint: 'The limit is BUCKETLOAD_MAX_DURATION_SECONDS.',
  },
  CORRUPT_MEDIA: {
    status: 422,
    message: 'The media could not be read; it is corrupt or not media.',
    hint: 'Check that the URL serves the media itself and that the file plays in a local player.',
  },
  TOOL_FAILED: {
    status: 502,
    message: 'A media tool failed.',
    hint: 'See the job log; run `bucketload doctor`.',
  },
  TOOL_MISSING: {
    status: 500,
    message: 'A required tool is not installed.',
    hint: 'Run `bucketload doctor`.',
  },

  // Storage and destinations
  DESTINATION_NOT_FOUND: { status: 404, message: 'No such destination.' },
  DESTINATION_EXISTS: { status: 409, message: 'A destination with this name already exists.' },
  INVALID_STORAGE_CLASS: { status: 400, message: 'This provider does not accept that storage class.' },
  INVALID_ACL: { status: 400, message: 'This provider does not accept that ACL.' },
  INVALID_ENDPOINT: {
    status: 400,
    message: 'The endpoint is not a valid http(s) URL or host.',
    hint: 'Give e.g. https://s3.example.com or host:port with use_tls.',
  },
  INVALID_KEY: {
    status: 400,
    message: 'The object key or path is not allowed.',
    hint: 'No control characters, no `..` or empty segments, at most 1024 bytes.',
  },
  ACCESS_DENIED: {
    status: 400,
    message: 'Verification failed: Access Denied',
    hint: 'Allow s3:PutObject on the bucket (and GetObject, ListBucket, DeleteObject for the full report).',
  },
  INVALID_ACCESS_KEY_ID: {
    status: 400,
    message: 'Verification failed: InvalidAccessKeyId',
    hint: 'The access key id does not exist for this endpoint.',
  },
  SIGNATURE_DOES_NOT_MATCH: {
    status: 400,
    message: 'Verification failed: SignatureDoesNotMatch',
    hint: 'The secret key is wrong, or the clock is far off.',
  },
  NO_SUCH_BUCKET: {
    status: 400,
    message: 'Verification failed: NoSuchBucket',
    hint: 'Create the bucket first, or check its name and region.',
  },
  WRONG_REGION: {
    status: 400,
    message: 'Verification failed: WrongRegion',
    hint: 'Use the region the bucket lives in.',
  },
  STORAGE_TIMEOUT: {
    status: 400,
    message: 'Verification failed: timeout',
    hint: 'The endpoint accepted the connection but did not answer in time.',
  },
  STORAGE_UNREACHABLE: {
    status: 400,
    message: 'Verification failed: Unreachable',
    hint: 'Check the endpoint host and port.',
  },
  STORAGE_TLS: {
    status: 400,
    message: 'Verification failed: TLS',
    hint: 'The endpoint TLS certificate is not valid; use a valid certificate or use_tls: 0 for plain http.',
  },
  STORAGE_ERROR: { status: 502, message: 'The storage answered with an error.' },
  OBJECT_EXISTS: {
    status: 409,
    message: 'An object already exists at this key.',
    hint: 'Use ifExists: overwrite, skip or rename.',
  },
  INTEGRITY_MISMATCH: { status: 502, message: 'The stored object does not match what was sent.' },
  FILE_NOT_FOUND: { status: 404, message: 'No such file.' },
  SIGNATURE_INVALID: { status: 403, message: 'The download link is invalid.' },
  LINK_EXPIRED: {
    status: 403,
    message: 'The download link has expired.',
    hint: 'Fetch the import again for a fresh link.',
  },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is not satisfiable.' },

  // Service state
  NOT_READY: { status: 503, message: 'The service is not ready.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
