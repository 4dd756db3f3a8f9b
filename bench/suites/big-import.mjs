/**
 * (3) Peak RSS of `bucketload import` for a big direct file (4 GiB by default) from a loopback
 * origin into the discard sink (and/or s3rver): the whole CLI process, from /usr/bin/time, plus
 * its RSS sampled every 250 ms to show whether memory stays flat over the file.
 * Target: under 200 MiB.
 */
import path from 'node:path';
import { ensureDataFile, formatSize } from '../lib/data-file.mjs';
import { runMeasured } from '../lib/measure.mjs';
import { fmt, markdownTable, textTable } from '../lib/report.mjs';
import { startServer } from '../lib/s3-servers.mjs';
import { startSource } from '../lib/source.mjs';
import { e2eCommand } from '../lib/tools.mjs';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TARGET_MIB = 200;

export async function runBigImport(ctx) {
  const { bigSizeBytes: sizeBytes, tmp, log } = ctx;
  const servers = ctx.serversOption ?? ['sink', 's3rver'];
  const name = `big-${sizeBytes}.bin`;
  log(`writing a ${formatSize(sizeBytes)} file…`);
  ensureDataFile(tmp, name, sizeBytes);
  const source = await startSource(tmp);
  const rows = [];
  try {
    for (const serverName of servers) {
      const server = await startServer(serverName, tmp);
      try {
        const bucket = 'bench';
        await server.createBucket(bucket);
        const { key, ...run } = e2eCommand('bucketload', {
          url: source.url(name),
          server,
          bucket,
          folder: 'big',
          name,
          home: path.join(tmp, `home-big-${serverName}`),
          scratch: tmp,
        });
        const m = await runMeasured({
          ...run,
          timeoutMs: Math.max(600_000, (sizeBytes / MiB) * 1000),
          sampleMs: 250,
        });
        const head = m.ok ? await server.head(bucket, key).catch(() => undefined) : undefined;
        const ok = m.ok && head?.sizeBytes === sizeBytes;
        const at = (fraction) => {
          const s = m.rssSamples;
          if (s.length === 0) return NaN;
          return s[Math.min(s.length - 1, Math.floor(fraction * (s.length - 1)))].rssMiB;
        };
        const row = {
          server: serverName,
          ok,
          error: ok
            ? undefined
            : m.ok
              ? `stored ${head?.sizeBytes ?? 'nothing'}`
              : m.stderr.trim().split('\n').slice(-3).join(' '),
          wallSeconds: m.wallSeconds,
          mibPerSecond: sizeBytes / MiB / m.wallSeconds,
          cpuPerGiB: m.cpuSeconds / (sizeBytes / GiB),
          peakRssMiB: m.maxRssMiB,
          rssQuarter: at(0.25),
          rssHalf: at(0.5),
          rssThreeQuarters: at(0.75),
          samples: m.rssSamples.length,
          load: `${fmt(m.loadBefore, 1)}→${fmt(m.loadAfter, 1)}`,
        };
        rows.push(row);
        log(
          `big ${formatSize(sizeBytes)} → ${serverName}: ${ok ? 'ok' : `FAIL (${row.error})`} ${fmt(m.wallSeconds, 1)} s, peak RSS ${fmt(m.maxRssMiB, 0)} MiB, load ${row.load}`,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await source.stop();
  }
  const columns = [
    { title: 'into', value: (r) => r.server },
    { title: 'ok', value: (r) => (r.ok ? 'yes' : 'no') },
    { title: 'wall s', value: (r) => fmt(r.wallSeconds, 1), right: true },
    { title: 'MiB/s', value: (r) => fmt(r.mibPerSecond, 0), right: true },
    { title: 'CPU s/GiB', value: (r) => fmt(r.cpuPerGiB, 2), right: true },
    {
      title: 'RSS at 25/50/75 % MiB',
      value: (r) => `${fmt(r.rssQuarter, 0)} / ${fmt(r.rssHalf, 0)} / ${fmt(r.rssThreeQuarters, 0)}`,
      right: true,
    },
    { title: 'peak RSS MiB', value: (r) => fmt(r.peakRssMiB, 0), right: true },
    {
      title: `target < ${TARGET_MIB}`,
      value: (r) => (r.ok ? (r.peakRssMiB < TARGET_MIB ? 'met' : 'MISSED') : '–'),
    },
    { title: 'load 1m', value: (r) => r.load, right: true },
  ];
  const title = `bucketload import of a ${formatSize(sizeBytes)} direct file (whole CLI process)`;
  const notes = rows.filter((r) => !r.ok).map((r) => `${r.server} failed: ${r.error}`);
  return {
    name: 'big',
    title,
    rows,
    text: `${title}\n${textTable(columns, rows)}${notes.length ? `\n${notes.map((n) => `  * ${n}`).join('\n')}` : ''}`,
    markdown: `**${title}.** Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.\n\n${markdownTable(columns, rows)}${notes.length ? `\n\n${notes.map((n) => `- ${n}`).join('\n')}` : ''}`,
  };
}
