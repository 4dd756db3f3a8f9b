// `npm run gen:client` writes the OpenAPI description and the typed client's schema from the
// current route schemas; `npm run gen:client -- --check` only compares and exits 1 on drift.
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildOpenApiDocument } from '../src/http/openapi-document.js';
import { CLIENT_FILES, REPO_ROOT, renderClientFiles } from './client-codegen.js';

const check = process.argv.includes('--check');
const rendered = await renderClientFiles(await buildOpenApiDocument());
const stale: string[] = [];
for (const [name, file] of Object.entries(CLIENT_FILES) as Array<[keyof typeof CLIENT_FILES, string]>) {
  const target = path.join(REPO_ROOT, file);
  const current = await fs.readFile(target, 'utf8').catch(() => undefined);
  if (current === rendered[name]) continue;
  stale.push(file);
  if (!check) await fs.writeFile(target, rendered[name]);
}
if (check && stale.length > 0) {
  process.stderr.write(
    `The typed client is out of date with the routes: ${stale.join(', ')}\nRun: npm run gen:client\n`,
  );
  process.exit(1);
}
process.stdout.write(stale.length === 0 ? 'client files are up to date\n' : `wrote ${stale.join(', ')}\n`);
