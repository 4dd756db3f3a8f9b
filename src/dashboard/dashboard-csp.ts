/**
 * The dashboard's Content-Security-Policy. Scripts, styles and API calls come only from this
 * origin, and nothing is inline (Vite emits external files only), so an injected string can never
 * run. Media and images are the exception: a finished import's player loads its presigned URL,
 * which is this origin for managed storage but the user's own S3 endpoint (any host, often plain
 * http on a LAN MinIO) for a destination — so `media-src`/`img-src` allow http(s) URLs. Those
 * directives cannot run code, and listing each user's endpoints would leak them to every visitor.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: http: https:",
  "media-src 'self' http: https:",
  "font-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
