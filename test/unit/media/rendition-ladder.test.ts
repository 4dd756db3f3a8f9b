import { describe, expect, it } from 'vitest';
import { buildAbrLadderArgs } from '../../../src/media/abr-ladder.js';
import { DEFAULT_RENDITIONS, selectRenditions, type Rendition } from '../../../src/media/rendition-ladder.js';

// Pure logic: which rungs a source gets, and the ffmpeg arguments of a ladder.

const names = (rs: readonly Rendition[]) => rs.map((r) => r.name);

describe('rendition selection (pure)', () => {
  it('never goes above the source height', () => {
    expect(names(selectRenditions(1080))).toEqual(['1080p', '720p', '480p', '360p', '240p']);
    expect(names(selectRenditions(720))).toEqual(['720p', '480p', '360p', '240p']);
    expect(names(selectRenditions(719))).toEqual(['480p', '360p', '240p']);
    expect(names(selectRenditions(2160))).toEqual(names(DEFAULT_RENDITIONS));
  });

  it('applies the quality cap too', () => {
    expect(names(selectRenditions(1080, DEFAULT_RENDITIONS, 480))).toEqual(['480p', '360p', '240p']);
  });

  it('makes one rung at the source height when the source is below every rung', () => {
    expect(selectRenditions(145)).toEqual([{ name: '144p', height: 144, videoKbps: 400, audioKbps: 64 }]);
  });

  it('sorts a configured table and rejects bad names', () => {
    const table = [
      { name: 'low', height: 240, videoKbps: 300, audioKbps: 64 },
      { name: 'high', height: 720, videoKbps: 2000, audioKbps: 128 },
    ];
    expect(names(selectRenditions(1080, table))).toEqual(['high', 'low']);
    expect(() => selectRenditions(1080, [{ name: 'a b', height: 240, videoKbps: 1, audioKbps: 1 }])).toThrow(
      TypeError,
    );
    expect(() => selectRenditions(1080, [])).toThrow(TypeError);
  });
});

describe('ABR ladder arguments (pure)', () => {
  const rungs = selectRenditions(360, DEFAULT_RENDITIONS);
  const base = { input: '/w/in.mp4', renditions: rungs, hasAudio: true, frameRate: 25, segmentSeconds: 4 };

  it('aligns keyframes on segment boundaries in every rung', () => {
    const args = buildAbrLadderArgs({ ...base, kind: 'hls' });
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    expect(at('-g')).toBe('100');
    expect(at('-keyint_min')).toBe('100');
    expect(at('-sc_threshold')).toBe('0');
    expect(at('-preset')).toBe('veryfast');
    expect(at('-filter_complex')).toBe('[0:v]split=2[s0][s1];[s0]scale=-2:360[v0];[s1]scale=-2:240[v1]');
  });

  it('HLS: one audio per variant, a master playlist and per-rung directories', () => {
    const args = buildAbrLadderArgs({ ...base, kind: 'hls' });
    expect(args).toContain('v:0,a:0,name:360p v:1,a:1,name:240p');
    expect(args.slice(-1)).toEqual(['%v/index.m3u8']);
    expect(args[args.indexOf('-master_pl_name') + 1]).toBe('master.m3u8');
    expect(args.filter((a) => a === '0:a:0')).toHaveLength(2);
  });

  it('HLS without audio maps video only', () => {
    const args = buildAbrLadderArgs({ ...base, kind: 'hls', hasAudio: false });
    expect(args).toContain('v:0,name:360p v:1,name:240p');
    expect(args).not.toContain('0:a:0');
  });

  it('DASH: one shared audio representation and a manifest', () => {
    const args = buildAbrLadderArgs({ ...base, kind: 'dash' });
    expect(args.filter((a) => a === '0:a:0')).toHaveLength(1);
    expect(args[args.indexOf('-adaptation_sets') + 1]).toBe('id=0,streams=v id=1,streams=a');
    expect(args.at(-1)).toBe('manifest.mpd');
  });
});
