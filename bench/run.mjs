#!/usr/bin/env node
/**
 * bucketload's benchmark suite (issue 6). Not part of `make test`: `npm run bench [-- options]`.
 *
 *   npm run bench                         every suite at full size; writes docs/benchmarks.md
 *   npm run bench -- upload --size 64M    one suite, a quick run (not written unless --write)
 *
 * Suites: upload (1), e2e (2), big (3), api (4), queue (5). See `--help`.
 * Everything runs on loopback; every server and temp file is the run's own and removed at the end.
 * Needs the built code (`npm run build`), /usr/bin/time, aws-cli, rclone, s3cmd, curl, wrk and
 * PostgreSQL (see docs/benchmarks.md for the install line).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseSize } from './lib/data-file.mjs';
import { describeMachine } from './lib/machine.mjs';
import { removeDirLater } from './lib/processes.mjs';
import { writeBlocks } from './lib/report.mjs';
import { CLI, E2E_TOOLS, REPO, UPLOAD_TOOLS } from './lib/tools.mjs';
import { SERVER_NAMES } from './lib/s3-servers.mjs';
import { machineMarkdown, SKELETON } from './lib/docs.mjs';

const SUITES = {
  upload: () => import('./suites/upload.mjs').then((m) => m.runUpload),
  e2e: () => import('./suites/e2e.mjs').then((m) => m.runE2e),
  big: () => import('./suites/big-import.mjs').then((m) => m.runBigImport),
  api: () => import('./suites/api.mjs').then((m) => m.runApi),
  queue: () => import('./suites/queue.mjs').then((m) => m.runQueue),
};
const DEFAULTS = { size: '1G', bigSize: '4G', repeat: 3, duration: 10, jobs: 300 };

const HELP = `usage: npm run bench -- [suite ...] [options]

suites (default: all, in this order)
  upload   upload a file to the discard sink, s3rver and moto: bucketload vs aws-cli, rclone, s3cmd
  e2e      URL -> bucket: bucketload import vs rclone copyurl vs curl then aws s3 cp
  big      peak RSS of bucketload import for a big direct file (--big-size)
  api      POST /v1/imports under wrk: serve --no-workers on SQLite and PostgreSQL
  queue    jobs/s through the queue on PostgreSQL with 1, 2 and 4 workers

options
  --size SIZE          file for upload and e2e (default ${DEFAULTS.size}; e.g. 64M for a quick run)
  --big-size SIZE      file for big (default ${DEFAULTS.bigSize})
  --repeat N           runs per tool and server in upload/e2e; the median is reported (default ${DEFAULTS.repeat})
  --servers LIST       upload/e2e/big servers: ${SERVER_NAMES.join(',')} (default: all for upload, sink,s3rver for e2e and big)
  --tools LIST         upload tools: ${UPLOAD_TOOLS.join(',')} (and pooled-prototype, an experiment);
                       e2e tools: ${E2E_TOOLS.join(',')}
  --duration SECONDS   wrk run per concurrency in api (default ${DEFAULTS.duration})
  --connections LIST   wrk connections in api (default 8,32,64)
  --jobs N             jobs per measurement in queue (default ${DEFAULTS.jobs})
  --write / --no-write write docs/benchmarks.md (default: only for full-size runs of the defaults)
  --json FILE          also write every raw measurement to FILE
  --tmp DIR            where temp files go (default: the OS temp dir); removed at the end
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string' },
    'big-size': { type: 'string' },
    repeat: { type: 'string' },
    servers: { type: 'string' },
    tools: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    jobs: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    json: { type: 'string' },
    tmp: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const chosen = positionals.length === 0 ? Object.keys(SUITES) : positionals;
for (const name of chosen) {
  if (!(name in SUITES)) {
    process.stderr.write(`unknown suite "${name}"\n\n${HELP}`);
    process.exit(2);
  }
}
if (!fs.existsSync(CLI)) {
  process.stderr.write(`${path.relative(process.cwd(), CLI)} is missing: run \`npm run build\` first\n`);
  process.exit(3);
}

const list = (text) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const sizeBytes = parseSize(values.size ?? DEFAULTS.size);
const bigSizeBytes = parseSize(values['big-size'] ?? DEFAULTS.bigSize);
const repeat = Number(values.repeat ?? DEFAULTS.repeat);
// Only a run with the default sizes and settings is recorded unless --write says otherwise.
const tuned = ['size', 'big-size', 'repeat', 'servers', 'tools', 'duration', 'connections', 'jobs'].filter(
  (k) => values[k] !== undefined,
);
const fullSize = tuned.length === 0;
const write = values['no-write'] ? false : (values.write ?? fullSize);

const tmpRoot = values.tmp ?? os.tmpdir();
const tmp = fs.mkdtempSync(path.join(tmpRoot, 'bucketload-bench-'));
const removeTmp = removeDirLater(tmp);
const log = (line) => process.stderr.write(`${line}\n`);

const machineAtStart = describeMachine();
log(
  `bucketload bench: ${chosen.join(', ')} on ${machineAtStart.nproc} × ${machineAtStart.cpu}, load ${machineAtStart.loadAverage.join(' ')}`,
);

const ctx = {
  sizeBytes,
  bigSizeBytes,
  repeat,
  serversOption: list(values.servers),
  toolsOption: list(values.tools),
  duration: Number(values.duration ?? DEFAULTS.duration),
  connections: list(values.connections)?.map(Number) ?? [8, 32, 64],
  jobs: Number(values.jobs ?? DEFAULTS.jobs),
  tmp,
  log,
  repo: REPO,
};

const results = [];
let failed = false;
try {
  for (const name of chosen) {
    const run = await SUITES[name]();
    const started = Date.now();
    log(`\n== ${name} ==`);
    try {
      const result = await run(ctx);
      result.seconds = (Date.now() - started) / 1000;
      results.push(result);
      process.stdout.write(`\n${result.text}\n`);
    } catch (error) {
      failed = true;
      log(`suite ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
} finally {
  await removeTmp();
}

const machineAtEnd = describeMachine();
process.stdout.write(
  `\nmachine: ${machineAtEnd.nproc} cores (${machineAtEnd.cpu}), ${machineAtEnd.memoryGiB} GiB, ${machineAtEnd.versions.node}; ` +
    `load average at start ${machineAtStart.loadAverage.join(' ')}, at end ${machineAtEnd.loadAverage.join(' ')}\n`,
);
if (values.json !== undefined) {
  fs.writeFileSync(
    values.json,
    JSON.stringify({ machineAtStart, machineAtEnd, ctx: { ...ctx, log: undefined }, results }, null, 2),
  );
}
if (write && results.length > 0) {
  const file = path.join(REPO, 'docs/benchmarks.md');
  const blocks = { machine: machineMarkdown(machineAtStart, machineAtEnd, chosen, ctx) };
  for (const result of results) blocks[result.name] = result.markdown;
  writeBlocks(file, blocks, SKELETON);
  log(`\nwrote ${path.relative(process.cwd(), file)}`);
} else if (!write) {
  log(
    `\n(docs/benchmarks.md not written: ${fullSize ? '--no-write' : `not the default settings (--${tuned.join(', --')}); add --write to record it`})`,
  );
}
process.exit(failed ? 1 : 0);
