import fs from 'node:fs';
import Database from 'better-sqlite3';
import { startServe, processCpuSeconds } from './lib/bucketload-server.mjs';
import { runWrk } from './suites/api.mjs';
const dataDir = fs.mkdtempSync('/tmp/bench-manual/api-');
const server = await startServe({ dataDir, extra: process.env.LOGLEVEL ? { BUCKETLOAD_LOG_LEVEL: process.env.LOGLEVEL } : {} });
if (process.env.INDEX) {
  const db = new Database(dataDir + '/bucketload.db');
  db.exec(process.env.INDEX);
  db.close();
}
fs.writeFileSync(dataDir + '/p.lua', `wrk.method = "POST"\nwrk.body = '{"url":"http://127.0.0.1:9/media/clip.mp4","destination":"managed"}'\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${server.key}"\n`);
for (let i = 0; i < 5; i++) {
  const cpu = processCpuSeconds(server.pid);
  const r = await runWrk({ url: server.url + '/v1/imports', script: dataDir + '/p.lua', connections: 8, seconds: 4 });
  console.log(i, 'rps', r.rps.toFixed(0), 'p50', r.p50, 'p99', r.p99, 'non2xx', r.non2xx, 'cpu ms/req', ((processCpuSeconds(server.pid) - cpu) / r.requests * 1000).toFixed(2), 'load', (await import('node:os')).loadavg()[0].toFixed(1));
}
await server.stop();
fs.rmSync(dataDir, { recursive: true, force: true });
