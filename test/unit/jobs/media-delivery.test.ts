// Unit: the pure parts of media delivery (key layout, progress slices, bounded parallelism, the
// rendition table setting). No I/O.
import { describe, expect, it } from 'vitest';
import { artifactBase, forEachLimited, placeArtifacts } from '../../../src/jobs/artifact-upload.js';
import { overallPercent, progressSpans } from '../../../src/jobs/import-progress.js';
import type { Job } from '../../../src/jobs/job.js';
import { wantsProcessing, type Artifact } from '../../../src/jobs/media-engine.js';
import { parseRenditionTable } from '../../../src/media/rendition-table.js';
import type { JobSink } from '../../../src/storage/storage-resolver.js';

const file = (role: Artifact['role'], ext: string): Artifact => ({
  role,
  kind: 'file',
  path: `/tmp/${role}.${ext}`,
  ext,
  contentType: 'x/y',
  sizeBytes: 1,
});
const tree = (role: 'hls' | 'dash', entry: string): Artifact => ({
  role,
  kind: 'tree',
  dir: `/tmp/${role}`,
  files: [],
  entry,
  renditionPlaylists: [],
});
const job = (request: { path?: string; filename?: string }) => ({ id: 'imp_x', request }) as unknown as Job;
const sink = (pathPrefix?: string) => ({ pathPrefix }) as unknown as JobSink;

describe('artifact keys', () => {
  it('puts every output beside the file, ladders in folders named after it', () => {
    const artifacts = [
      file('file', 'mp4'),
      file('audio', 'm4a'),
      file('thumbnail', 'jpg'),
      tree('hls', 'master.m3u8'),
      tree('dash', 'manifest.mpd'),
    ];
    const base = artifactBase(job({ path: 'media/2024' }), sink('ignored'), 'My: Clip', artifacts);
    expect(base).toBe('media/2024/My: Clip');
    expect(placeArtifacts(base, artifacts).map((p) => p.key)).toEqual([
      'media/2024/My: Clip.mp4',
      'media/2024/My: Clip.m4a',
      'media/2024/My: Clip.jpg',
      'media/2024/My: Clip/hls/master.m3u8',
      'media/2024/My: Clip/dash/manifest.mpd',
    ]);
  });

  it('names the audio by its role when the file already has its key; uses the prefix and filename', () => {
    const artifacts = [file('file', 'm4a'), file('audio', 'm4a')];
    const base = artifactBase(job({ filename: 'song.m4a' }), sink('inbox'), 'title', artifacts);
    expect(placeArtifacts(base, artifacts).map((p) => p.key)).toEqual([
      'inbox/song.m4a',
      'inbox/song.audio.m4a',
    ]);
  });

  it('a ladder alone takes the title as its folder', () => {
    const artifacts = [tree('hls', 'master.m3u8')];
    expect(placeArtifacts(artifactBase(job({}), sink(), 'Clip', artifacts), artifacts)[0]?.key).toBe(
      'Clip/hls/master.m3u8',
    );
  });
});

describe('progress across phases', () => {
  it('gives each stage its own slice, so moving to the next never lowers the percent', () => {
    for (const processing of [true, false]) {
      const spans = progressSpans(processing);
      const sequence = [
        overallPercent(spans, 'download', 0),
        overallPercent(spans, 'download', 1),
        overallPercent(spans, 'process', 0),
        overallPercent(spans, 'process', 1),
        overallPercent(spans, 'upload', 0),
        overallPercent(spans, 'upload', 1),
      ];
      expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
      expect(sequence.at(-1)).toBe(99);
    }
    expect(overallPercent(progressSpans(true), 'process', 0.5)).toBe(57.5);
    expect(overallPercent(progressSpans(true), 'download', Number.NaN)).toBe(0);
    expect(overallPercent(progressSpans(true), 'download', 7)).toBe(30);
  });

  it('knows which requests need ffmpeg', () => {
    expect(wantsProcessing({ outputs: ['file'] })).toBe(false);
    expect(wantsProcessing({ outputs: ['file'], format: { kind: 'original' } })).toBe(false);
    expect(wantsProcessing({ outputs: ['file'], format: { kind: 'audio' } })).toBe(true);
    expect(wantsProcessing({ outputs: ['file', 'thumbnail'] })).toBe(true);
  });
});

describe('forEachLimited', () => {
  it('runs at most `limit` at once and stops at the first failure', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const abortedAfter = new Map<number, boolean>();
    const failing = forEachLimited(
      [1, 2, 3, 4, 5, 6, 7, 8],
      3,
      new AbortController().signal,
      async (n, signal) => {
        started.push(n);
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5 * n));
        running -= 1;
        abortedAfter.set(n, signal.aborted);
        if (n === 2) throw new Error('boom');
      },
    );
    await expect(failing).rejects.toThrow('boom');
    expect(peak).toBe(3);
    // 1 finished before the failure; 3 was in flight and saw its signal aborted; 4+ never started.
    expect(abortedAfter.get(1)).toBe(false);
    expect(abortedAfter.get(3)).toBe(true);
    expect(started).toEqual([1, 2, 3, 4]);
  });
});

describe('BUCKETLOAD_RENDITIONS', () => {
  it('reads name:height:videoKbps:audioKbps entries and names what is wrong', () => {
    expect(parseRenditionTable('720p:720:2800:128, 360p:360:800:96')).toEqual([
      { name: '720p', height: 720, videoKbps: 2800, audioKbps: 128 },
      { name: '360p', height: 360, videoKbps: 800, audioKbps: 96 },
    ]);
    expect(parseRenditionTable('720p:720:2800')).toContain('name:height:videoKbps:audioKbps');
    expect(parseRenditionTable('a/b:720:1:1')).toContain('BUCKETLOAD_RENDITIONS');
    expect(parseRenditionTable('x:720:1:1,x:360:1:1')).toContain('used twice');
    expect(parseRenditionTable(' , ')).toContain('no entries');
  });
});
