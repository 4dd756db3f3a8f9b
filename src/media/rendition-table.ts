import { validateRenditions, type Rendition } from './rendition-ladder.js';

/**
 * Reads the operator's rendition table, `BUCKETLOAD_RENDITIONS`: comma-separated
 * `name:height:videoKbps:audioKbps`, e.g. `720p:720:2800:128,360p:360:800:96`. Returns the table,
 * or a message naming what is wrong (for the configuration's list of problems).
 */
export function parseRenditionTable(raw: string): Rendition[] | string {
  const table: Rendition[] = [];
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const match = /^([^:\s]+):(\d{1,5}):(\d{1,6}):(\d{1,4})$/.exec(part);
    if (match === null) {
      return `BUCKETLOAD_RENDITIONS entries are name:height:videoKbps:audioKbps (got "${part}")`;
    }
    table.push({
      name: match[1] ?? '',
      height: Number(match[2]),
      videoKbps: Number(match[3]),
      audioKbps: Number(match[4]),
    });
  }
  if (table.length === 0) return 'BUCKETLOAD_RENDITIONS has no entries';
  try {
    validateRenditions(table);
  } catch (error) {
    return `BUCKETLOAD_RENDITIONS: ${error instanceof Error ? error.message : String(error)}`;
  }
  return table;
}
