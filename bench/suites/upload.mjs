/**
 * (1) Upload of one file to each server with each tool: throughput, client CPU-seconds per GiB and
 * peak RSS, measured from outside the same way for every tool. Every measurement gets a fresh
 * server process (moto keeps objects in memory; s3rver on disk), and the tools take turns in a
 * rotating order so none always runs first. The stored size is checked with a HEAD afterwards.
 */
import path from 'node:path';
import { ensureDataFile, formatSize } from '../lib/data-file.mjs';
import { runMeasured } from '../lib/measure.mjs';
import { fmt, loadRange, markdownTable, median, textTable } from '../lib/report.mjs';
import { startServer } from '../lib/s3-servers.mjs';
import { EXPERIMENTAL_UPLOAD_TOOLS, UPLOAD_TOOLS, uploadCommand } from '../lib/tools.mjs';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export async function runUpload(ctx) {
  const { sizeBytes, repeat, tmp, log } = ctx;
  const servers = ctx.serversOption ?? ['sink', 's3rver', 'moto'];
  const tools =
    ctx.toolsOption?.filter((t) => [...UPLOAD_TOOLS, ...EXPERIMENTAL_UPLOAD_TOOLS].includes(t)) ??
    UPLOAD_TOOLS;
  const file = ensureDataFile(tmp, `data-${sizeBytes}.bin`, sizeBytes);
  const runs = [];
  for (const serverName of servers) {
    for (let round = 0; round < repeat; round += 1) {
      const order = tools.map((_, i) => tools[(i + round) % tools.length]);
      for (const tool of order) {
        const server = await startServer(serverName, tmp);
        try {
          const bucket = 'bench';
          await server.createBucket(bucket);
          const key = `upload/${tool}/data.bin`;
          const run = uploadCommand(tool, {
            file,
            server,
            bucket,
            key,
            home: path.join(tmp, `home-${tool}`),
          });
          const sinkBefore = await server.stats();
          const measured = await runMeasured({
            ...run,
            timeoutMs: Math.max(120_000, (sizeBytes / MiB) * 1000),
          });
          const sinkAfter = await server.stats();
          const head = measured.ok ? await server.head(bucket, key).catch(() => undefined) : undefined;
          const stored = head?.sizeBytes === sizeBytes;
          const detail = tool === 'bucketload' ? parseJson(measured.stdout) : undefined;
          const result = {
            server: serverName,
            tool,
            round,
            ...measured,
            ok: measured.ok && stored,
            error: measured.ok
              ? stored
                ? undefined
                : `stored ${head?.sizeBytes ?? 'nothing'}`
              : measured.stderr.trim().split('\n').slice(-3).join(' '),
            sinkCpuSeconds:
              sinkBefore === undefined ? undefined : sinkAfter.cpuSeconds - sinkBefore.cpuSeconds,
            dataSeconds: detail?.dataSeconds,
            putSeconds: detail?.putSeconds,
            sha256Stored: detail?.sha256Stored,
          };
          runs.push(result);
          log(
            `upload ${formatSize(sizeBytes)} ${serverName.padEnd(6)} ${tool.padEnd(10)} ${result.ok ? 'ok  ' : 'FAIL'} ` +
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
  return summarise(runs, ctx);
}

function parseJson(text) {
  try {
    return JSON.parse(
      text
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .at(-1) ?? '',
    );
  } catch {
    return undefined;
  }
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
      sinkCpuPerGiB: median(ok.map((r) => r.sinkCpuSeconds ?? NaN)) / (sizeBytes / GiB),
      copySeconds: median(ok.map((r) => (r.putSeconds ?? NaN) - (r.dataSeconds ?? NaN))),
      load: loadRange(group),
      errors: [...new Set(group.filter((r) => !r.ok).map((r) => r.error))],
    };
  });
  // Targets, per server: throughput ≥ the best other tool; CPU/GiB ≤ aws-cli's.
  for (const row of rows) {
    if (row.tool !== 'bucketload') continue;
    const peers = rows.filter(
      (r) =>
        r.server === row.server &&
        UPLOAD_TOOLS.includes(r.tool) &&
        r.tool !== 'bucketload' &&
        Number.isFinite(r.mibPerSecond),
    );
    const best = peers.reduce((a, b) => (b.mibPerSecond > (a?.mibPerSecond ?? -1) ? b : a), undefined);
    const aws = peers.find((r) => r.tool === 'aws-cli');
    row.target = [
      best === undefined
        ? undefined
        : `${row.mibPerSecond >= best.mibPerSecond ? 'met' : 'MISSED'}: throughput vs best (${best.tool} ${fmt(best.mibPerSecond, 0)})`,
      aws === undefined
        ? undefined
        : `${row.cpuPerGiB <= aws.cpuPerGiB ? 'met' : 'MISSED'}: CPU/GiB vs aws-cli (${fmt(aws.cpuPerGiB, 2)})`,
    ]
      .filter(Boolean)
      .join('; ');
  }
  const columns = [
    { title: 'server', value: (r) => r.server },
    { title: 'tool', value: (r) => r.tool },
    { title: 'runs ok', value: (r) => r.runs, right: true },
    { title: 'wall s', value: (r) => fmt(r.wallSeconds, 2), right: true },
    { title: 'MiB/s', value: (r) => fmt(r.mibPerSecond, 0), right: true },
    { title: 'CPU s/GiB', value: (r) => fmt(r.cpuPerGiB, 2), right: true },
    { title: 'peak RSS MiB', value: (r) => fmt(r.peakRssMiB, 0), right: true },
    { title: 'sink CPU s/GiB', value: (r) => fmt(r.sinkCpuPerGiB, 2), right: true },
    { title: 'load 1m', value: (r) => r.load, right: true },
  ];
  const notes = rows.flatMap((r) => [
    ...(r.target ? [`${r.server}: bucketload ${r.target}`] : []),
    ...(r.tool === 'bucketload' && Number.isFinite(r.copySeconds)
      ? [
          `${r.server}: bucketload's checksum self-copy + HEAD took ${fmt(r.copySeconds, 2)} s of its wall time`,
        ]
      : []),
    ...r.errors.map((e) => `${r.server} ${r.tool} failed: ${e}`),
  ]);
  const title = `Upload of a ${formatSize(sizeBytes)} file (median of ${ctx.repeat} run${ctx.repeat === 1 ? '' : 's'})`;
  return {
    name: 'upload',
    title,
    rows,
    runs,
    text: `${title}\n${textTable(columns, rows)}${notes.length ? `\n${notes.map((n) => `  * ${n}`).join('\n')}` : ''}`,
    markdown: `**${title}.** Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${markdownTable(columns, rows)}${notes.length ? `\n\n${notes.map((n) => `- ${n}`).join('\n')}` : ''}`,
  };
}
