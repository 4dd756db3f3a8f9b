// Real parts: the whole app assembled in-process on a throwaway SQLite database (as
// `npm run gen:client` does), openapi-typescript and prettier. Fails when a route schema changed
// and the committed description and typed client were not regenerated.
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_FILES, REPO_ROOT, renderClientFiles } from '../../../scripts/client-codegen.js';
import { buildOpenApiDocument } from '../../../src/http/openapi-document.js';

/** The first differing line with a little context: a 100 KB string diff helps nobody. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const index = a.findIndex((line, i) => line !== b[i]);
  const at = index === -1 ? Math.min(a.length, b.length) : index;
  const show = (lines: string[]) => lines.slice(Math.max(0, at - 2), at + 3).join('\n');
  return `first difference at line ${at + 1}\n--- generated from the routes\n${show(a)}\n--- committed\n${show(b)}`;
}

describe('typed client drift check', () => {
  let document: Record<string, unknown>;
  beforeAll(async () => {
    document = await buildOpenApiDocument();
  });

  it('the committed OpenAPI description and client schema match the current route schemas', async () => {
    const rendered = await renderClientFiles(document);
    const stale: string[] = [];
    for (const [name, file] of Object.entries(CLIENT_FILES) as Array<[keyof typeof CLIENT_FILES, string]>) {
      const committed = await fs.readFile(path.join(REPO_ROOT, file), 'utf8').catch(() => '');
      if (committed !== rendered[name]) stale.push(`${file}: ${firstDifference(rendered[name], committed)}`);
    }
    expect(stale, `Run \`npm run gen:client\` and commit the result.\n${stale.join('\n\n')}`).toEqual([]);
  });

  it('builds the same description twice (no timestamps, no machine-dependent values)', async () => {
    const again = await buildOpenApiDocument();
    expect(again).toEqual(document);
    expect(JSON.stringify(document)).not.toMatch(/bucketload-openapi-|\/tmp\//);
  });

  it('keeps the dashboard out of the description', () => {
    const paths = Object.keys(document['paths'] as Record<string, unknown>);
    expect(paths).toContain('/v1/imports');
    expect(paths).not.toContain('/');
    expect(paths.some((p) => p.startsWith('/assets'))).toBe(false);
  });
});
