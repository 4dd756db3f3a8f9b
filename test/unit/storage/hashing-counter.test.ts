import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { assertPresignExpiry, createHashingCounter } from '../../../src/storage/object-store.js';

// Pure streams in memory.

const sink = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

describe('createHashingCounter', () => {
  it('hashes and counts what passes through', async () => {
    const counter = createHashingCounter();
    await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), counter, sink());
    expect(counter.bytes).toBe(11);
    expect(counter.digest()).toBe(createHash('sha256').update('hello world').digest('hex'));
  });

  it('digest() before the end throws', () => {
    expect(() => createHashingCounter().digest()).toThrow(/before the stream ended/u);
  });

  it('fails with SOURCE_TRUNCATED before the end when fewer bytes than announced arrive', async () => {
    const counter = createHashingCounter({ expectedBytes: 20 });
    let ended = false;
    counter.on('end', () => (ended = true));
    await expect(pipeline(Readable.from([Buffer.alloc(10)]), counter, sink())).rejects.toMatchObject({
      code: 'SOURCE_TRUNCATED',
    });
    expect(ended).toBe(false);
  });

  it('fails with INTEGRITY_MISMATCH as soon as more bytes than announced arrive', async () => {
    const counter = createHashingCounter({ expectedBytes: 5 });
    await expect(
      pipeline(Readable.from([Buffer.alloc(4), Buffer.alloc(4)]), counter, sink()),
    ).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });
  });

  it('accepts exactly the announced size, including zero', async () => {
    const counter = createHashingCounter({ expectedBytes: 0 });
    await pipeline(Readable.from([]), counter, sink());
    expect(counter.digest()).toBe(createHash('sha256').digest('hex'));
  });
});

describe('assertPresignExpiry', () => {
  it('allows 1 s to 7 days', () => {
    expect(() => assertPresignExpiry(1)).not.toThrow();
    expect(() => assertPresignExpiry(604_800)).not.toThrow();
    for (const bad of [0, -1, 604_801, 1.5, Number.NaN])
      expect(() => assertPresignExpiry(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
