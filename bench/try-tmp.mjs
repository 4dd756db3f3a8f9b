import fs from 'node:fs';
import { startServe, processCpuSeconds } from './lib/bucketload-server.mjs';
import { runWrk } from './suites/api.mjs';
const dataDir = fs.mkdtempSync('/tmp/bench-manual/api-');
const server = await startServe({ dataDir, nodeArgs: process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-manual/prof-api'] : process.env.SQLT ? ['-r', '/tmp/bench-manual/sql-timing.cjs'] : [], extra: process.env.LOGLEVEL ? { BUCKETLOAD_LOG_LEVEL: process.env.LOGLEVEL } : {} });
const keys = [];
for (let i = 0; i < 100; i++) { const r = await fetch(server.url + '/v1/users', { method: 'POST', headers: { authorization: 'Bearer ' + server.key, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'u' + i, createKey: true }) }); keys.push((await r.json()).apiKey); }
fs.writeFileSync(dataDir + '/p.lua', `local keys = { ${keys.map((k) => JSON.stringify(k)).join(', ')} }\nlocal n = 0\nrequest = function()\n n = n + 1\n return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. keys[(n % #keys) + 1] }, '{"url":"http://127.0.0.1:9/media/clip.mp4","destination":"managed"}')\nend\n`);
for (let i = 0; i < 3; i++) {
  const cpu = processCpuSeconds(server.pid);
  const r = await runWrk({ url: server.url + '/v1/imports', script: dataDir + '/p.lua', connections: 8, seconds: 5 });
  console.log(i, 'rps', r.rps.toFixed(0), 'p50', r.p50, 'p99', r.p99, 'non2xx', r.non2xx, 'cpu ms/req', ((processCpuSeconds(server.pid) - cpu) / r.requests * 1000).toFixed(3), 'load', (await import('node:os')).loadavg()[0].toFixed(1));
}
await server.stop(); console.log(server.helper.output().split('\n').filter(l => l.includes('SQLTIME')).join('\n'));
fs.rmSync(dataDir, { recursive: true, force: true });
