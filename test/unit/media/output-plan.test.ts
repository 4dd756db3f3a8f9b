import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import type { MediaProbe, MediaStream } from '../../../src/media/ffprobe.js';
import { resolveContainer } from '../../../src/media/media-container.js';
import { planOutputs, type OutputPlanInput } from '../../../src/media/output-plan.js';

// Pure logic: no files are touched; probes are hand-built like ffprobe's.

function probeOf(formatName: string, streams: MediaStream[], majorBrand?: string): MediaProbe {
  const video = streams.filter((s) => s.type === 'video');
  const audio = streams.filter((s) => s.type === 'audio');
  return {
    formatName,
    durationSeconds: 10,
    sizeBytes: 1000,
    kind: video.length > 0 ? 'video' : 'audio',
    streams,
    container: resolveContainer({
      formatName,
      majorBrand,
      videoCodecs: video.map((s) => s.codec),
      audioCodecs: audio.map((s) => s.codec),
    }),
  };
}
const v = (codec: string, height = 1080): MediaStream => ({
  index: 0,
  type: 'video',
  codec,
  height,
  width: (height * 16) / 9,
});
const a = (codec: string): MediaStream => ({ index: 1, type: 'audio', codec });

const MP4_1080 = probeOf('mov,mp4,m4a,3gp,3g2,mj2', [v('h264'), a('aac')], 'isom');
const WEBM_720 = probeOf('matroska,webm', [v('vp9', 720), a('opus')]);
const MP3 = probeOf('mp3', [a('mp3')]);

const plan = (probe: MediaProbe, rest: Partial<OutputPlanInput> = {}) =>
  planOutputs({ sourcePath: '/w/media.src', probe, workDir: '/w', ...rest });

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('did not throw');
}

describe('output planning (pure)', () => {
  it('delivers the source unchanged by default, typed by its real container', () => {
    const p = plan(MP4_1080);
    expect(p.steps).toEqual([]);
    expect(p.artifacts).toEqual([
      { role: 'file', path: '/w/media.src', ext: 'mp4', contentType: 'video/mp4' },
    ]);
  });

  it('does nothing for video in the container it already has, under the cap', () => {
    expect(plan(MP4_1080, { format: { kind: 'video', quality: '1080p', container: 'mp4' } }).steps).toEqual(
      [],
    );
  });

  it('transcodes down when the source is above the quality cap', () => {
    const p = plan(MP4_1080, { format: { kind: 'video', quality: '720p' } });
    expect(p.steps).toEqual([
      { op: 'transcode', input: '/w/media.src', output: '/w/file.mp4', maxHeight: 720, container: 'mp4' },
    ]);
    expect(p.artifacts[0]).toMatchObject({
      role: 'file',
      path: '/w/file.mp4',
      ext: 'mp4',
      contentType: 'video/mp4',
      step: 0,
    });
  });

  it('remuxes when the codecs fit the requested container, transcodes when they do not', () => {
    expect(plan(MP4_1080, { format: { kind: 'video', container: 'mkv' } }).steps).toEqual([
      { op: 'remux', input: '/w/media.src', output: '/w/file.mkv' },
    ]);
    expect(plan(WEBM_720, { format: { kind: 'video', container: 'mp4' } }).steps[0]?.op).toBe('remux'); // vp9+opus fit mp4
    expect(plan(MP4_1080, { format: { kind: 'video', container: 'webm' } }).steps).toEqual([
      { op: 'transcode', input: '/w/media.src', output: '/w/file.webm', maxHeight: 1080, container: 'webm' },
    ]);
  });

  it('plans audio: copy-friendly codec by default, the requested one otherwise, the source when it already is', () => {
    expect(plan(MP4_1080, { format: { kind: 'audio' } }).steps).toEqual([
      { op: 'extract-audio', input: '/w/media.src', output: '/w/file.m4a', codec: 'm4a' },
    ]);
    const mp3 = plan(MP4_1080, { format: { kind: 'audio', container: 'mp3' } });
    expect(mp3.artifacts[0]).toMatchObject({ ext: 'mp3', contentType: 'audio/mpeg' });
    expect(plan(WEBM_720, { format: { kind: 'audio' } }).artifacts[0]).toMatchObject({
      ext: 'opus',
      contentType: 'audio/ogg',
    });
    expect(plan(MP3, { format: { kind: 'audio' } }).steps).toEqual([]);
  });

  it('plans every output role with its own path and type', () => {
    const p = plan(MP4_1080, { outputs: ['file', 'audio', 'thumbnail', 'hls', 'dash', 'hls'] });
    expect(p.artifacts.map((x) => [x.role, x.path, x.ext, x.contentType])).toEqual([
      ['file', '/w/media.src', 'mp4', 'video/mp4'],
      ['audio', '/w/audio.m4a', 'm4a', 'audio/mp4'],
      ['thumbnail', '/w/thumbnail.jpg', 'jpg', 'image/jpeg'],
      ['hls', '/w/hls/master.m3u8', 'm3u8', 'application/vnd.apple.mpegurl'],
      ['dash', '/w/dash/manifest.mpd', 'mpd', 'application/dash+xml'],
    ]);
    expect(p.artifacts[3]?.dir).toBe('/w/hls');
    expect(p.steps.map((s) => s.op)).toEqual(['extract-audio', 'thumbnail', 'hls', 'dash']);
  });

  it('passes the quality cap to ladders', () => {
    const p = plan(MP4_1080, { format: { kind: 'video', quality: '480p' }, outputs: ['hls'] });
    expect(p.steps[0]).toMatchObject({ op: 'hls', maxHeight: 480 });
  });

  it('skips what cannot be made from audio and does not deliver audio twice', () => {
    const p = plan(MP3, { format: { kind: 'audio' }, outputs: ['file', 'audio', 'thumbnail', 'hls'] });
    expect(p.artifacts.map((x) => x.role)).toEqual(['file']);
    expect(p.skipped.map((s) => s.role)).toEqual(['audio', 'thumbnail', 'hls']);
  });

  it('never names an output like the source (the probe, not the name, decides the container)', () => {
    const p = planOutputs({
      sourcePath: '/w/file.mkv',
      probe: MP4_1080,
      workDir: '/w',
      format: { kind: 'video', container: 'mkv' },
    });
    expect(p.steps).toEqual([{ op: 'remux', input: '/w/file.mkv', output: '/w/file-1.mkv' }]);
  });

  it('rejects impossible requests with typed errors', () => {
    expect(thrown(() => plan(MP3, { format: { kind: 'video' } })).code).toBe('NO_MEDIA_FOUND');
    expect(thrown(() => plan(MP4_1080, { format: { kind: 'video', container: 'mp3' } })).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(thrown(() => plan(MP4_1080, { format: { kind: 'audio', container: 'wma' } })).code).toBe(
      'VALIDATION_FAILED',
    );
    expect(thrown(() => plan(MP3, { outputs: ['thumbnail'] })).code).toBe('NO_MEDIA_FOUND');
    expect(thrown(() => plan(MP4_1080, { maxDurationSeconds: 5 })).code).toBe('MEDIA_TOO_LONG');
  });
});
