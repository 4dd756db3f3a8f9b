import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../app/runtime.js';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import { buildApp } from './app.js';

/**
 * The OpenAPI description exactly as `GET /openapi.json` serves it, built in-process from the route
 * schemas: the app is assembled on a throwaway SQLite database in a temp dir, never listens, and
 * starts no workers. The environment is not read (a fixed configuration), so the same routes give
 * the same document on every machine — the typed client and its drift check depend on that.
 */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bucketload-openapi-'));
  try {
    const config = loadConfig(
      { BUCKETLOAD_DATA_DIR: dir, BUCKETLOAD_LOG_LEVEL: 'silent', BUCKETLOAD_EGRESS_ALLOW: '127.0.0.0/8' },
      dir,
    );
    const runtime = await createRuntime(config, createLogger('silent'));
    try {
      const app = await buildApp(runtime.services);
      try {
        // A deep copy: the caller may change it without touching the app's cached document.
        return JSON.parse(JSON.stringify(app.swagger())) as Record<string, unknown>;
      } finally {
        await app.close();
      }
    } finally {
      await runtime.close();
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
