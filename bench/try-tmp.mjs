import fs from 'node:fs';
import { startServe, processCpuSeconds } from './lib/bucketload-server.mjs';
import { runWrk } from './suites/api.mjs';
const dataDir = fs.mkdtempSync('/tmp/bench-manual/api-');
const server = await startServe({ dataDir, nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/bench-manual/prof-api'], extra: process.env.LOGLEVEL ? { BUCKETLOAD_LOG_LEVEL: process.env.LOGLEVEL } : {} });
fs.writeFileSync(dataDir + '/p.lua', `wrk.method = "POST"\nwrk.body = '{"url":"http://127.0.0.1:9/media/clip.mp4","destination":"managed"}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${server.key}"\n`);
for (const c of [8, 8]) {
  const cpu = processCpuSeconds(server.pid);
  const r = await runWrk({ url: server.url + '/v1/imports', script: dataDir + '/p.lua', connections: c, seconds: 8 });
  console.log(c, r.rps, r.p50, r.p99, r.non2xx, ((processCpuSeconds(server.pid) - cpu) / r.requests * 1000).toFixed(2));
}
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
