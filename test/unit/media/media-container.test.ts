import { describe, expect, it } from 'vitest';
import { resolveContainer } from '../../../src/media/media-container.js';

// Pure logic: ffprobe's format names and codecs → extension and Content-Type.

const MOV = 'mov,mp4,m4a,3gp,3g2,mj2';
const MKV = 'matroska,webm';

describe('container mapping (pure)', () => {
  it.each([
    [MOV, 'isom', ['h264'], ['aac'], 'mp4', 'video/mp4'],
    [MOV, 'M4A ', [], ['aac'], 'm4a', 'audio/mp4'],
    [MOV, 'isom', [], ['aac'], 'm4a', 'audio/mp4'],
    [MOV, 'qt  ', ['h264'], ['aac'], 'mov', 'video/quicktime'],
    [MOV, '3gp5', ['h263'], ['amr_nb'], '3gp', 'video/3gpp'],
    [MKV, undefined, ['vp9'], ['opus'], 'webm', 'video/webm'],
    [MKV, undefined, ['av1'], [], 'webm', 'video/webm'],
    [MKV, undefined, [], ['opus'], 'webm', 'audio/webm'],
    [MKV, 'isom', ['h264'], ['aac'], 'mkv', 'video/x-matroska'],
    [MKV, undefined, ['vp9'], ['aac'], 'mkv', 'video/x-matroska'],
    [MKV, undefined, [], ['flac'], 'mka', 'audio/x-matroska'],
    ['ogg', undefined, [], ['opus'], 'opus', 'audio/ogg'],
    ['ogg', undefined, [], ['vorbis'], 'ogg', 'audio/ogg'],
    ['ogg', undefined, ['theora'], ['vorbis'], 'ogv', 'video/ogg'],
    ['mp3', undefined, [], ['mp3'], 'mp3', 'audio/mpeg'],
    ['mpegts', undefined, ['h264'], ['aac'], 'ts', 'video/mp2t'],
    ['flac', undefined, [], ['flac'], 'flac', 'audio/flac'],
    ['wav', undefined, [], ['pcm_s16le'], 'wav', 'audio/wav'],
    ['image2', undefined, ['mjpeg'], [], 'jpg', 'image/jpeg'],
    ['jpeg_pipe', undefined, ['mjpeg'], [], 'jpg', 'image/jpeg'],
    ['png_pipe', undefined, ['png'], [], 'png', 'image/png'],
    ['hls', undefined, ['h264'], ['aac'], 'm3u8', 'application/vnd.apple.mpegurl'],
    ['dash', undefined, ['h264'], ['aac'], 'mpd', 'application/dash+xml'],
    ['something_new', undefined, ['h264'], [], 'bin', 'application/octet-stream'],
  ])('%s %s %j %j → %s', (formatName, majorBrand, videoCodecs, audioCodecs, ext, contentType) => {
    expect(resolveContainer({ formatName, majorBrand, videoCodecs, audioCodecs })).toEqual({
      ext,
      contentType,
    });
  });
});
