// Real parts: Debian's Chromium (headless, through playwright-core) on the built dashboard, served
// by the real app on a loopback port (SQLite, in-process workers, local managed storage); the
// run's shared s3rver as the user's bucket; the loopback media server with ffmpeg-made fixtures.
// One browser walks the whole story in order, like a person would; each step is its own test so a
// failure names the step. Screenshots of each page go to docs/screenshots/.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from '../support/databases.js';
import { startMediaServer, type MediaServer } from '../support/media-server.js';
import { connectShared, type S3TestServer } from '../support/s3-servers.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ensureDashboardBuilt, launchChromium, SCREENSHOTS, type Browser } from './browser.js';

/** The part of HTMLVideoElement used here (the test project has no DOM types; the page has). */
interface VideoElement {
  muted: boolean;
  readyState: number;
  currentTime: number;
  readonly error: { message: string } | null;
  play(): Promise<void>;
  pause(): void;
  addEventListener(type: 'seeked', listener: () => void, options: { once: boolean }): void;
}

const openapi = JSON.parse(
  fs.readFileSync(new URL('../../src/client/openapi.json', import.meta.url), 'utf8'),
) as {
  paths: Record<string, unknown>;
};
const sseDocumented = openapi.paths['/v1/imports/{id}/events'] !== undefined;

describe('dashboard in Chromium', () => {
  const fixtures = inject('fixtures');
  let t: TestApp;
  let media: MediaServer;
  let s3: S3TestServer;
  let bucket: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requestedUrls: string[] = [];

  const shot = async (name: string) => {
    await fsp.mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${name}.png`),
      fullPage: true,
      animations: 'disabled',
      caret: 'hide',
    });
  };
  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

  beforeAll(async () => {
    s3 = connectShared(inject('s3').s3rver);
    const [app, server, created] = await Promise.all([
      tempDir('e2e-').then((dir) =>
        startTestApp({ databaseUrl: `sqlite://${dir}/bucketload.db`, workers: 1 }),
      ),
      startMediaServer(fixtures),
      s3.createBucket(),
      ensureDashboardBuilt(),
    ]);
    [t, media, bucket] = [app, server, created];
    browser = await launchChromium();
    page = await browser.context.newPage();
    // API answers of 4xx are part of the story (wrong key, failed test, non-admin probing
    // /v1/users) and Chromium logs each as a failed load; anything else logged as an error is a bug.
    page.on('console', (message) => {
      const text = message.text();
      if (
        message.type() === 'error' &&
        !/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)
      ) {
        problems.push(`console: ${text}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requestedUrls.push(request.url()));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await media?.close();
    await s3?.stop();
  });

  it('serves the page with a strict CSP and asks for a key', async () => {
    const response = await page.goto(t.baseUrl + '/');
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await heading('Sign in').waitFor();
    await shot('sign-in');
  });

  it('refuses a wrong key with the API message and hint', async () => {
    await page.getByLabel('API key').fill('bl_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The API key is not valid.');
  });

  it('signs in with the admin key, kept in session storage and never in a URL', async () => {
    await page.getByLabel('API key').fill(t.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Imports').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('bucketload.apiKey')")).toBe(t.adminKey);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(page.url()).not.toContain(t.adminKey);
    await page.getByText('No imports yet').waitFor();
  });

  it('Storage: a failing Test connection shows the classified error and its hint', async () => {
    await nav('Storage').click();
    await heading('Storage').waitFor();
    await page.getByText('No destinations yet').waitFor();
    await page.getByLabel('Provider').selectOption('minio');
    await page.getByLabel('Name').fill('s3rver');
    await page.getByLabel('Bucket').fill('no-such-bucket-e2e');
    await page.getByLabel('Region').fill('us-east-1');
    await page.getByLabel('Endpoint', { exact: true }).fill(s3.endpoint);
    await page.getByLabel('Access key ID').fill(s3.accessKeyId);
    await page.getByLabel('Secret access key').fill(s3.secretAccessKey);
    expect(await page.getByLabel('Path-style addressing').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Verification failed: NoSuchBucket');
    expect(text).toContain('Create the bucket first');
    expect(text).toContain('NO_SUCH_BUCKET');
    await shot('storage-test-failed');
  });

  it('Storage: a passing Test connection shows the capability report; Save adds it as default', async () => {
    await page.getByLabel('Bucket').fill(bucket);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const report = page.getByRole('region', { name: 'Connection works' });
    await report.waitFor();
    expect(await report.textContent()).toContain('Write: allowed');
    await page.getByLabel('Make it my default destination').check();
    await page.getByRole('button', { name: 'Save configuration' }).click();
    await page.getByText('Saved “s3rver”.').waitFor();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 's3rver' }) });
    await card.getByText('Default', { exact: true }).waitFor();
    expect(await card.textContent()).toContain(bucket);
    await shot('storage');
  });

  it('Imports: submits a URL and watches it complete', async () => {
    await nav('Imports').click();
    await heading('Imports').waitFor();
    await page.getByLabel('Media URL').fill(media.url('/media/video.mp4'));
    await page.getByLabel('Destination').selectOption('s3rver');
    await page.getByLabel('Folder').fill('e2e');
    await page.getByLabel('File name').fill('clip');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('li.import-row').first().waitFor();
    await page.locator('li.import-row[data-status="completed"]').waitFor({ timeout: 60_000 });
    await shot('imports');
  }, 90_000);

  it('Import detail: every file with size, SHA-256 and link; the video plays', async () => {
    await page.locator('li.import-row[data-status="completed"] a.import-title').click();
    await page.locator('.detail-status[data-status="completed"]').waitFor();
    expect(await page.getByTestId('file-sha256').textContent()).toBe(fixtures.videoMp4.sha256);
    expect(await page.getByTestId('file-size').textContent()).toContain(
      `${fixtures.videoMp4.size.toLocaleString('en-US')} bytes`,
    );
    const link = await page.getByTestId('presigned-link').getAttribute('href');
    expect(link).toContain(`${s3.endpoint}/${bucket}/e2e/clip.mp4`);
    const video = page.locator('video');
    await video.waitFor();
    const played = await video.evaluate(async (element: VideoElement) => {
      element.muted = true;
      await element.play();
      const deadline = Date.now() + 20_000;
      while (!(element.readyState >= 2 && element.currentTime > 0) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      element.pause();
      return {
        readyState: element.readyState,
        currentTime: element.currentTime,
        error: element.error?.message ?? null,
      };
    });
    expect(played.error).toBeNull();
    expect(played.readyState).toBeGreaterThanOrEqual(2);
    expect(played.currentTime).toBeGreaterThan(0);
    await video.evaluate(async (element: VideoElement) => {
      // A frame at 1 s for the screenshot, not the black first frame.
      element.currentTime = 1;
      await new Promise<void>((r) => element.addEventListener('seeked', () => r(), { once: true }));
    });
    await shot('import-detail');
  }, 90_000);

  const submitImport = async (url: string) => {
    await nav('Imports').click();
    await heading('Imports').waitFor();
    await page.getByLabel('Media URL').fill(url);
    await page.getByLabel('Destination').selectOption('managed');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // The new import is the newest row; open it.
    const row = page.locator('li.import-row').filter({ hasText: url });
    await row.waitFor();
    await row.locator('a.import-title').click();
  };

  it('Import detail: a failed import shows its error code, message and hint', async () => {
    await submitImport(media.url('/status/404'));
    await page.locator('.detail-status[data-status="failed"]').waitFor({ timeout: 45_000 });
    const alert = page.getByRole('alert').filter({ hasText: 'The import failed' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('SOURCE_HTTP_ERROR');
  }, 60_000);

  it('Import detail: cancels a running import', async () => {
    // The source accepts the connection and never answers: the import stays in "fetching".
    await submitImport(media.url('/bad/hang'));
    await page
      .locator('.detail-status[data-status="running"], .detail-status[data-status="queued"]')
      .waitFor();
    // Live over SSE when the API documents the route (the dashboard is built knowing it), else polling.
    await page.getByText(sseDocumented ? 'Live (server-sent events)' : 'Updating every second').waitFor();
    await page.getByRole('button', { name: 'Cancel import' }).click();
    await page.getByRole('button', { name: 'Yes, cancel it' }).click();
    await page.locator('.detail-status[data-status="canceled"]').waitFor({ timeout: 20_000 });
  }, 60_000);

  let viewerKey = '';
  it('API keys: creates a key shown once with a copy button, creates a user, revokes the key', async () => {
    await nav('API keys').click();
    await heading('API keys').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('e2e-temp');
    await page.getByRole('button', { name: 'Create key' }).click();
    const field = page.getByLabel('Your new API key');
    await field.waitFor();
    const tempKey = await field.inputValue();
    expect(tempKey).toMatch(/^bl_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(tempKey);
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByLabel('User name').fill('viewer');
    await page.getByRole('button', { name: 'Create user' }).click();
    const userKey = page.getByLabel('API key of viewer');
    await userKey.waitFor();
    viewerKey = await userKey.inputValue();
    expect(viewerKey).toMatch(/^bl_/);

    const row = page.locator('tr[data-key-name="e2e-temp"]');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await row.getByText('Revoked').waitFor();
    await shot('keys');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('bucketload.apiKey')")).toBeNull();
    await page.getByLabel('API key').fill(tempKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The API key has been revoked.');
  });

  it('a non-admin key signs in and sees only its own keys, without the users section', async () => {
    await page.getByLabel('API key').fill(viewerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signing in again returns to the page the session was on.
    await heading('API keys').waitFor();
    await page.getByRole('heading', { name: 'Your keys' }).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Users' }).count()).toBe(0);
  });

  it('is readable on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await nav('Imports').click();
    await heading('Imports').waitFor();
    await page.getByText('No imports yet').waitFor();
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('imports-phone');
  });

  it('logged no CSP violation or script error, and sent the key in no URL', () => {
    expect(problems).toEqual([]);
    expect(requestedUrls.filter((url) => url.includes('bl_'))).toEqual([]);
  });
});
