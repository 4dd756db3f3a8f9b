/**
 * Test files of any size, fast and the same on every run: the AES-256-CTR keystream of a fixed key
 * (incompressible, ~1–2 GB/s), written in 4 MiB blocks. They live in a temp dir the caller removes.
 */
import { createCipheriv } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const BLOCK = 4 * 1024 * 1024;
const KEY = Buffer.alloc(32, 0x42);
const IV = Buffer.alloc(16, 0x07);

/** Writes `<dir>/<name>` of exactly `sizeBytes` unless it is already there with that size. */
export function ensureDataFile(dir, name, sizeBytes) {
  const file = path.join(dir, name);
  try {
    if (fs.statSync(file).size === sizeBytes) return file;
  } catch {
    // not there yet
  }
  const cipher = createCipheriv('aes-256-ctr', KEY, IV);
  const zeros = Buffer.alloc(BLOCK);
  const fd = fs.openSync(`${file}.part`, 'w');
  try {
    for (let written = 0; written < sizeBytes;) {
      const n = Math.min(BLOCK, sizeBytes - written);
      const block = cipher.update(n === BLOCK ? zeros : zeros.subarray(0, n));
      for (let off = 0; off < block.length;) off += fs.writeSync(fd, block, off, block.length - off);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${file}.part`, file);
  return file;
}

/** `64M`, `1G`, `1.5GiB`, `4096` → bytes. */
export function parseSize(text) {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(String(text).trim());
  if (match === null) throw new Error(`not a size: ${text} (e.g. 64M, 1G)`);
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[match[2].toLowerCase()];
  return Math.round(Number(match[1]) * unit);
}

export function formatSize(bytes) {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`;
  if (bytes >= 2 ** 20) return `${+(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${+(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}
