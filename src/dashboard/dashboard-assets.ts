import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * Where `npm run build` puts the dashboard (Vite's output). The same relative path holds from
 * `src/dashboard/` (tests run the sources) and from `dist/dashboard/` (the built server).
 */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/web/', import.meta.url));

export interface DashboardAsset {
  readonly body: Buffer;
  /** Present when gzip saves at least a tenth. */
  readonly gzip: Buffer | undefined;
  readonly contentType: string;
  readonly etag: string;
  /** Hashed file names under assets/ never change, so they may be cached for a year. */
  readonly immutable: boolean;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Reads the built dashboard into memory, keyed by URL path (`/index.html`, `/assets/index-x.js`).
 * It is a few hundred KB, so every request is a map lookup with a precomputed ETag and gzip body,
 * and no request path ever reaches the file system (no traversal to guard against). Returns
 * undefined when the dashboard was not built. Source maps and Vite's manifest are not served.
 */
export function loadDashboardAssets(dir: string): Map<string, DashboardAsset> | undefined {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, DashboardAsset>();
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const rel = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) walk(rel);
        continue;
      }
      const contentType = TYPES[path.extname(entry.name).toLowerCase()];
      if (!entry.isFile() || contentType === undefined) continue;
      const body = fs.readFileSync(path.join(dir, rel));
      const compressed = /^(text\/|image\/svg|application\/(json|manifest))/.test(contentType)
        ? gzipSync(body, { level: 9 })
        : undefined;
      assets.set(`/${rel}`, {
        body,
        gzip: compressed !== undefined && compressed.length < body.length * 0.9 ? compressed : undefined,
        contentType,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: rel.startsWith('assets/'),
      });
    }
  };
  walk('');
  return assets;
}
