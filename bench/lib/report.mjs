/**
 * Tables for the terminal and for docs/benchmarks.md, and the writer that replaces the generated
 * blocks of that file (between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`) while
 * keeping the hand-written text around them.
 */
import fs from 'node:fs';

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmt(value, digits = 1) {
  if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value)))
    return '–';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `8.1→9.4` (1-minute load average before → after), or a range over several runs. */
export function loadRange(runs) {
  const before = runs.map((r) => r.loadBefore).filter(Number.isFinite);
  const after = runs.map((r) => r.loadAfter).filter(Number.isFinite);
  if (before.length === 0) return '–';
  const all = [...before, ...after];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  return lo === hi ? fmt(lo, 1) : `${fmt(lo, 1)}–${fmt(hi, 1)}`;
}

/**
 * @param {Array<{ title: string, value: (row: any) => string, right?: boolean }>} columns
 */
export function textTable(columns, rows) {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const line = (values) =>
    values
      .map((v, i) => (columns[i].right ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.title)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
  ].join('\n');
}

export function markdownTable(columns, rows) {
  const esc = (s) => s.replaceAll('|', '\\|');
  const head = `| ${columns.map((c) => esc(c.title)).join(' | ')} |`;
  const rule = `|${columns.map((c) => (c.right ? '---:' : '---')).join('|')}|`;
  const body = rows.map((row) => `| ${columns.map((c) => esc(c.value(row))).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

const START = (name) => `<!-- bench:${name}:start -->`;
const END = (name) => `<!-- bench:${name}:end -->`;

/**
 * Replaces (or appends) the generated blocks in `file`. `blocks` maps a block name to its markdown.
 */
export function writeBlocks(file, blocks, skeleton) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : skeleton;
  for (const [name, body] of Object.entries(blocks)) {
    const block = `${START(name)}\n${body.trim()}\n${END(name)}`;
    const start = text.indexOf(START(name));
    const end = text.indexOf(END(name));
    if (start !== -1 && end > start)
      text = `${text.slice(0, start)}${block}${text.slice(end + END(name).length)}`;
    else text = `${text.trimEnd()}\n\n${block}\n`;
  }
  fs.writeFileSync(file, text);
}
