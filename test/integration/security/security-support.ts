import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestApp } from '../../support/test-app.js';

// Helpers shared by the security specs. `rawRequest` sends the path, headers and body byte for byte
// (fetch would normalise `..` segments and refuse some headers), always to the app on loopback.

/**
 * A parsed JSON answer. The specs read it field by field against table expectations; a loose type
 * keeps the tables readable (the same reason `TestApp.request` returns `any`).
 */

export type Json = any;

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly body: Json;
}

export interface RawRequest {
  readonly method: string;
  /** Sent verbatim as the request target, e.g. `/v1/imports/../keys`. */
  readonly path: string;
  readonly key?: string;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON, a string as is; both as `application/json` unless a content-type is given. */
  readonly body?: unknown;
}

export function rawRequest(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = { ...req.headers };
  let payload: Buffer | undefined;
  if (req.body !== undefined) {
    payload = Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body), 'utf8');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    headers['content-length'] = String(payload.length);
  }
  if (req.key !== undefined) headers['authorization'] = `Bearer ${req.key}`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: hostname, port: Number(port), method: req.method, path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Every file under `dir` (recursively), as paths relative to it. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * Every row of every table, as JSON, through the runtime's own Kysely instance. `last_used_at` is
 * left out: authentication may touch it once a minute, which is not a write the request asked for.
 */
export async function snapshotDatabase(t: TestApp): Promise<Record<string, unknown[]>> {
  const db = t.runtime.services.database.db;
  const order = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  const [users, keys, destinations, jobs, files] = await Promise.all([
    db.selectFrom('users').selectAll().execute(),
    db.selectFrom('api_keys').selectAll().execute(),
    db.selectFrom('destinations').selectAll().execute(),
    db.selectFrom('jobs').selectAll().execute(),
    db.selectFrom('job_files').selectAll().execute(),
  ]);
  const normal = (rows: unknown[]) =>
    JSON.parse(
      JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ) as unknown[];
  return {
    users: normal(order(users)),
    api_keys: normal(order(keys).map(({ last_used_at: _ignored, ...rest }) => rest)),
    destinations: normal(order(destinations)),
    jobs: normal(order(jobs)),
    job_files: normal(order(files)),
  };
}

export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const snapshot = await snapshotDatabase(t);
  return Object.fromEntries(Object.entries(snapshot).map(([table, rows]) => [table, rows.length]));
}
