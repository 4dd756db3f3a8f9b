import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext } from 'playwright-core';

// Debian's Chromium driven by playwright-core (no browser download). Flags from
// shared/TEST-INFRA.md: without the background-networking ones Chromium keeps trying hosts this
// machine cannot reach. The profile is a fresh temp dir (never `--user-data-dir` in args).

export const CHROMIUM = '/usr/bin/chromium';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WEB_SRC = path.join(REPO_ROOT, 'src/dashboard/web');
const WEB_OUT = path.join(REPO_ROOT, 'dist/dashboard/web');

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (\`make browser-deps\`, or apt-get install -y chromium)`,
    );
  }
  const profile = await fsp.mkdtemp(path.join(os.tmpdir(), 'bucketload-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: options.viewport ?? { width: 1280, height: 860 },
    permissions: ['clipboard-read', 'clipboard-write'],
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      await fsp.rm(profile, { recursive: true, force: true });
    },
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `make test` builds the dashboard before the suite; a bare `vitest run` after editing it would
 * test a stale build, so it is rebuilt here when any source is newer than the built page.
 */
export async function ensureDashboardBuilt(): Promise<void> {
  const index = path.join(WEB_OUT, 'index.html');
  const sources = Math.max(
    newestMtime(WEB_SRC),
    fs.statSync(path.join(REPO_ROOT, 'src/client/schema.ts')).mtimeMs,
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  await promisify(execFile)(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      path.join(WEB_SRC, 'vite.config.mjs'),
    ],
    {
      cwd: REPO_ROOT,
      timeout: 120_000,
    },
  );
}

export const SCREENSHOTS = path.join(REPO_ROOT, 'docs/screenshots');
