// Builds the dashboard into dist/dashboard/web (served by src/dashboard/dashboard.routes.ts).
// Preact through esbuild's automatic JSX: no framework plugin needed.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// The dashboard follows an import's progress over SSE only when the API documents the route
// (the committed description the typed client is generated from); until then it polls.
const openapi = JSON.parse(fs.readFileSync(here('../../client/openapi.json'), 'utf8'));
const sseDocumented = openapi.paths?.['/v1/imports/{id}/events']?.get !== undefined;

export default defineConfig({
  root: here('.'),
  base: '/',
  logLevel: 'warn',
  clearScreen: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  define: { __SSE_DOCUMENTED__: JSON.stringify(sseDocumented) },
  build: {
    outDir: here('../../../dist/dashboard/web'),
    emptyOutDir: true,
    target: 'es2022',
    // Everything external (no data: URIs, no inline scripts): the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
