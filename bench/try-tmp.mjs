import { runMeasured } from './lib/measure.mjs';
import fs from 'node:fs';
fs.rmSync('/tmp/bench-manual/cli/data', { recursive: true, force: true });
const extra = process.argv.slice(2);
const m = await runMeasured({ command: process.execPath, args: [...extra, 'dist/bin/bucketload.js', 'import', 'http://127.0.0.1:37817/f.bin', '--to', 's3://bench/e2e/', '--endpoint', 'http://127.0.0.1:32861', '--path-style', '--no-progress', '--json'], env: { ...process.env, BUCKETLOAD_DATA_DIR: '/tmp/bench-manual/cli/data', BUCKETLOAD_EGRESS_ALLOW: '127.0.0.1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'x', NODE_NO_WARNINGS: '1' }, timeoutMs: 300000, sampleMs: 250 });
console.log(m.ok, m.wallSeconds.toFixed(1), 'cpu', m.cpuSeconds.toFixed(2), 'maxrss', m.maxRssMiB.toFixed(0), 'load', m.loadBefore, m.loadAfter);
console.log(m.rssSamples.map((s) => s.rssMiB.toFixed(0)).join(' '));
