/**
 * (2) URL → bucket, end to end, for the upload file served by a loopback origin: `bucketload import`
 * (the one-shot CLI: database, egress policy, pipeline), bucketload's store fed by a plain HTTP GET
 * (what the CLI adds on top), `rclone copyurl`, and the two-step curl to disk then `aws s3 cp`
 * (CPU and wall time of both steps; peak RSS of the larger). A fresh server per measurement.
 */
import path from 'node:path';
import { ensureDataFile, formatSize } from '../lib/data-file.mjs';
import { runMeasured } from '../lib/measure.mjs';
import { fmt, loadRange, markdownTable, median, textTable } from '../lib/report.mjs';
import { startServer } from '../lib/s3-servers.mjs';
import { startSource } from '../lib/source.mjs';
import { E2E_TOOLS, e2eCommand } from '../lib/tools.mjs';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export async function runE2e(ctx) {
  const { sizeBytes, repeat, tmp, log } = ctx;
  const servers = ctx.serversOption ?? ['sink', 's3rver'];
  const tools = ctx.toolsOption?.filter((t) => E2E_TOOLS.includes(t)) ?? E2E_TOOLS;
  const name = `data-${sizeBytes}.bin`;
  ensureDataFile(tmp, name, sizeBytes);
  const source = await startSource(tmp);
  const runs = [];
  try {
    for (const serverName of servers) {
      for (let round = 0; round < repeat; round += 1) {
        const order = tools.map((_, i) => tools[(i + round) % tools.length]);
        for (const tool of order) {
          const server = await startServer(serverName, tmp);
          try {
            const bucket = 'bench';
            await server.createBucket(bucket);
            const folder = `e2e-${tool.replace(/[^a-z0-9]/g, '')}-${round}`;
            const { key, ...run } = e2eCommand(tool, {
              url: source.url(name),
              server,
              bucket,
              folder,
              name,
              home: path.join(tmp, `home-e2e-${tool.replace(/[^a-z0-9]/g, '')}-${round}-${serverName}`),
              scratch: tmp,
            });
            const measured = await runMeasured({
              ...run,
              timeoutMs: Math.max(180_000, (sizeBytes / MiB) * 1500),
            });
            const head = measured.ok ? await server.head(bucket, key).catch(() => undefined) : undefined;
            const stored = head?.sizeBytes === sizeBytes;
            const result = {
              server: serverName,
              tool,
              round,
              ...measured,
              ok: measured.ok && stored,
              error: measured.ok
                ? stored
                  ? undefined
                  : `stored ${head?.sizeBytes ?? 'nothing'} at ${key}`
                : measured.stderr.trim().split('\n').slice(-3).join(' '),
            };
            runs.push(result);
            log(
              `e2e ${formatSize(sizeBytes)} ${serverName.padEnd(6)} ${tool.padEnd(16)} ${result.ok ? 'ok  ' : 'FAIL'} ` +
                `${fmt(measured.wallSeconds, 2)} s  ${fmt(sizeBytes / MiB / measured.wallSeconds, 0)} MiB/s  ` +
                `cpu ${fmt(measured.cpuSeconds, 2)} s  rss ${fmt(measured.maxRssMiB, 0)} MiB  load ${fmt(measured.loadBefore, 1)}→${fmt(measured.loadAfter, 1)}` +
                (result.error ? `  (${result.error})` : ''),
            );
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await source.stop();
  }
  return summarise(runs, ctx);
}

function summarise(runs, ctx) {
  const { sizeBytes } = ctx;
  const groups = new Map();
  for (const run of runs) {
    const id = `${run.server}\u0000${run.tool}`;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(run);
  }
  const rows = [...groups.values()].map((group) => {
    const ok = group.filter((r) => r.ok);
    const wall = median(ok.map((r) => r.wallSeconds));
    return {
      server: group[0].server,
      tool: group[0].tool,
      runs: `${ok.length}/${group.length}`,
      wallSeconds: wall,
      mibPerSecond: sizeBytes / MiB / wall,
      cpuPerGiB: median(ok.map((r) => r.cpuSeconds)) / (sizeBytes / GiB),
      peakRssMiB: Math.max(...ok.map((r) => r.maxRssMiB)),
      load: loadRange(group),
      errors: [...new Set(group.filter((r) => !r.ok).map((r) => r.error))],
    };
  });
  const label = {
    bucketload: 'bucketload import (CLI)',
    'bucketload-store': 'bucketload store ← HTTP GET',
    rclone: 'rclone copyurl',
    'curl+aws-cli': 'curl to disk, then aws s3 cp',
  };
  const columns = [
    { title: 'server', value: (r) => r.server },
    { title: 'tool', value: (r) => label[r.tool] ?? r.tool },
    { title: 'runs ok', value: (r) => r.runs, right: true },
    { title: 'wall s', value: (r) => fmt(r.wallSeconds, 2), right: true },
    { title: 'MiB/s', value: (r) => fmt(r.mibPerSecond, 0), right: true },
    { title: 'CPU s/GiB', value: (r) => fmt(r.cpuPerGiB, 2), right: true },
    { title: 'peak RSS MiB', value: (r) => fmt(r.peakRssMiB, 0), right: true },
    { title: 'load 1m', value: (r) => r.load, right: true },
  ];
  const notes = rows.flatMap((r) => r.errors.map((e) => `${r.server} ${r.tool} failed: ${e}`));
  const title = `URL → bucket, ${formatSize(sizeBytes)} from a loopback origin (median of ${ctx.repeat} run${ctx.repeat === 1 ? '' : 's'})`;
  return {
    name: 'e2e',
    title,
    rows,
    runs,
    text: `${title}\n${textTable(columns, rows)}${notes.length ? `\n${notes.map((n) => `  * ${n}`).join('\n')}` : ''}`,
    markdown: `**${title}.** Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${markdownTable(columns, rows)}${notes.length ? `\n\n${notes.map((n) => `- ${n}`).join('\n')}` : ''}`,
  };
}
