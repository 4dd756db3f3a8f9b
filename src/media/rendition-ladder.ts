/**
 * Renditions: the rungs of an adaptive-bitrate (HLS/DASH) ladder. The table is configuration; a
 * job only ever uses the rungs at or under its source's height (never upscale) and its quality cap.
 */
export interface Rendition {
  /** Used as a directory and variant name: letters, digits, `_` and `-` only. */
  readonly name: string;
  readonly height: number;
  readonly videoKbps: number;
  readonly audioKbps: number;
}

export const DEFAULT_RENDITIONS: readonly Rendition[] = Object.freeze([
  { name: '1080p', height: 1080, videoKbps: 5000, audioKbps: 192 },
  { name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 },
  { name: '480p', height: 480, videoKbps: 1400, audioKbps: 128 },
  { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 },
  { name: '240p', height: 240, videoKbps: 400, audioKbps: 64 },
]);

const NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function validateRenditions(table: readonly Rendition[]): void {
  const names = new Set<string>();
  for (const r of table) {
    if (!NAME.test(r.name))
      throw new TypeError(`Rendition name ${JSON.stringify(r.name)} must match ${NAME}.`);
    if (names.has(r.name)) throw new TypeError(`Rendition name ${r.name} is used twice.`);
    names.add(r.name);
    for (const [k, v] of [
      ['height', r.height],
      ['videoKbps', r.videoKbps],
      ['audioKbps', r.audioKbps],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new TypeError(`Rendition ${r.name}: ${k} must be a positive integer.`);
    }
  }
}

/**
 * The rungs to encode for a source `sourceHeight` pixels high, tallest first: every rung of the
 * table at or under both the source height and `maxHeight`. When the source is shorter than every
 * rung, one rung at the source's own (even) height, with the smallest rung's bitrates.
 */
export function selectRenditions(
  sourceHeight: number,
  table: readonly Rendition[] = DEFAULT_RENDITIONS,
  maxHeight?: number,
): Rendition[] {
  validateRenditions(table);
  if (table.length === 0) throw new TypeError('The rendition table is empty.');
  const cap = Math.min(sourceHeight, maxHeight ?? Number.POSITIVE_INFINITY);
  const picked = table.filter((r) => r.height <= cap).sort((a, b) => b.height - a.height);
  if (picked.length > 0) return picked;
  const smallest = [...table].sort((a, b) => a.height - b.height)[0] as Rendition;
  const height = Math.max(2, Math.floor(cap / 2) * 2);
  return [{ ...smallest, name: `${height}p`, height }];
}
