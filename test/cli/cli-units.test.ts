// Unit tests (pure logic, no processes): the CLI's s3:// targets and flag precedence, and the
// progress display's never-backwards rule.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/context.js';
import { createProgressDisplay, formatBytes, formatDuration } from '../../src/cli/progress-display.js';
import { bucketConfig, parseS3Target } from '../../src/cli/s3-target.js';

const noAws = {
  accessKeyId: undefined,
  secretAccessKey: undefined,
  sessionToken: undefined,
  region: undefined,
  endpointUrl: undefined,
};

describe('s3:// targets', () => {
  it('reads bucket, folder and an optional file name', () => {
    expect(parseS3Target('s3://media')).toEqual({ bucket: 'media', path: '' });
    expect(parseS3Target('s3://media/')).toEqual({ bucket: 'media', path: '' });
    expect(parseS3Target('s3://media/a/b/')).toEqual({ bucket: 'media', path: 'a/b' });
    expect(parseS3Target('s3://media/a/b')).toEqual({ bucket: 'media', path: 'a/b' });
    expect(parseS3Target('s3://media/a/clip.mp4')).toEqual({ bucket: 'media', path: 'a', fileStem: 'clip' });
    expect(parseS3Target('s3://media/a/2024.05/')).toEqual({ bucket: 'media', path: 'a/2024.05' });
  });

  it('refuses what is not an s3:// URL or a safe path, as usage errors', () => {
    for (const bad of ['media/a', 'http://media/a', 's3://', 's3://media/a/../b', 's3://media/a//b']) {
      expect(() => parseS3Target(bad), bad).toThrow(CliError);
    }
  });

  it('prefers flags over the AWS variables, and needs both keys from somewhere', () => {
    const aws = {
      ...noAws,
      accessKeyId: 'env-id',
      secretAccessKey: 'env-secret',
      region: 'eu-west-1',
      endpointUrl: 'http://env:9000',
    };
    expect(bucketConfig({ bucket: 'b1b', path: '' }, {}, aws)).toEqual({
      bucket: 'b1b',
      accessKeyId: 'env-id',
      secretAccessKey: 'env-secret',
      endpoint: 'http://env:9000',
      region: 'eu-west-1',
    });
    expect(
      bucketConfig(
        { bucket: 'b1b', path: '' },
        { endpoint: 'http://flag:9000', accessKeyId: 'flag-id', pathStyle: false },
        aws,
      ),
    ).toMatchObject({
      endpoint: 'http://flag:9000',
      accessKeyId: 'flag-id',
      secretAccessKey: 'env-secret',
      forcePathStyle: false,
    });
    expect(() => bucketConfig({ bucket: 'b1b', path: '' }, { accessKeyId: 'only-id' }, noAws)).toThrow(
      /no credentials/,
    );
  });
});

describe('progress display', () => {
  function capture() {
    const lines: string[] = [];
    const stdout = {
      write: (chunk: string) => lines.push(...chunk.split('\n').filter((l) => l !== '')),
    } as unknown as NodeJS.WritableStream;
    return { lines, out: { stdout, stderr: stdout } };
  }

  it('never shows bytes going back within a phase, nor the percent going back at all', () => {
    const { lines, out } = capture();
    const display = createProgressDisplay('json', out);
    display.handle({ type: 'phase', phase: 'fetching' });
    display.handle({ type: 'progress', progress: { bytes: 500, totalBytes: 1000, percent: 40 } });
    display.handle({ type: 'progress', progress: { bytes: 300, totalBytes: 1000, percent: 45 } });
    display.finish();
    display.handle({ type: 'phase', phase: 'uploading' });
    display.handle({ type: 'progress', progress: { bytes: 100, totalBytes: 1000, percent: 30 } });
    display.finish();
    const events = lines.map(
      (l) => JSON.parse(l) as { type: string; bytes?: number; percent?: number; phase: string },
    );
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => [e.phase, e.bytes, e.percent])).toEqual([
      ['fetching', 500, 40],
      ['uploading', 100, 40],
    ]);
  });

  it('formats sizes and durations for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20 * 1024 ** 2)).toBe('20.0 MiB');
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
