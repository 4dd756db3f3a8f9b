import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  isQencodeDestination,
  parseQencodeDestination,
} from '../../../src/storage/s3/qencode-destination.js';
import { resolveS3Destination } from '../../../src/storage/s3/s3-destination.js';

// Pure logic: the seed's destination objects, parsed and resolved.

describe('parseQencodeDestination', () => {
  it("parses the seed's single-file example", () => {
    const parsed = parseQencodeDestination({
      url: 's3://us-west.s3.qencode.com/my-bucket/folder/output.mp4',
      key: 'myAccessKeyId',
      secret: 'mySecretAccessKey',
      permissions: 'public-read',
      storage_class: 'REDUCED_REDUNDANCY',
    });
    expect(parsed).toMatchObject({
      path: 'folder/output.mp4',
      folder: 'folder',
      file: { stem: 'output', ext: 'mp4' },
    });
    expect(parsed.config).toMatchObject({
      endpoint: 'us-west.s3.qencode.com',
      useTls: true,
      bucket: 'my-bucket',
      accessKeyId: 'myAccessKeyId',
      secretAccessKey: 'mySecretAccessKey',
      acl: 'public-read',
      storageClass: 'REDUCED_REDUNDANCY',
      pathPrefix: 'folder',
    });
    expect(resolveS3Destination(parsed.config)).toMatchObject({
      provider: 'other',
      endpoint: 'https://us-west.s3.qencode.com',
      acl: 'public-read',
      storageClass: 'REDUCED_REDUNDANCY',
      checksumMode: 'WHEN_REQUIRED',
    });
  });

  it("parses the seed's ABR folder example (the path is a folder)", () => {
    const parsed = parseQencodeDestination({
      url: 's3://us-west.s3.qencode.com/my-bucket/folder',
      key: 'k',
      secret: 's',
      permissions: 'public-read',
    });
    expect(parsed).toMatchObject({ path: 'folder', folder: 'folder' });
    expect(parsed.file).toBeUndefined();
    expect(parsed.config.pathPrefix).toBe('folder');
  });

  it('use_tls: 0 makes the endpoint plain http, and a port is kept', () => {
    const parsed = parseQencodeDestination({
      url: 's3://example.endpoint.com:9000/my-bucket/folder/output.mp4',
      key: 'k',
      secret: 's',
      use_tls: 0,
    });
    expect(resolveS3Destination(parsed.config).endpoint).toBe('http://example.endpoint.com:9000');
    expect(
      parseQencodeDestination({ url: 's3://h/b-1/x', key: 'k', secret: 's', use_tls: '1' }).config.useTls,
    ).toBe(true);
  });

  it('a bucket root and a trailing slash are folders', () => {
    expect(parseQencodeDestination({ url: 's3://h.example/bucket-a', key: 'k', secret: 's' })).toMatchObject({
      path: '',
      folder: '',
    });
    expect(
      parseQencodeDestination({ url: 's3://h.example/bucket-a/a/b.c/', key: 'k', secret: 's' }),
    ).toMatchObject({ folder: 'a/b.c' });
  });

  it('detects AWS from the host and reads the region', () => {
    const parsed = parseQencodeDestination({
      url: 's3://s3.eu-west-1.amazonaws.com/aws-bucket/out',
      key: 'k',
      secret: 's',
    });
    expect(resolveS3Destination(parsed.config)).toMatchObject({ provider: 'aws', region: 'eu-west-1' });
  });

  it('no permissions means no ACL header (bucket default)', () => {
    expect(
      parseQencodeDestination({ url: 's3://h/bucket-a/x', key: 'k', secret: 's' }).config.acl,
    ).toBeUndefined();
  });

  it('decodes percent-encoded paths', () => {
    expect(
      parseQencodeDestination({ url: 's3://h/bucket-a/my%20folder/v%C3%ADdeo.mp4', key: 'k', secret: 's' })
        .path,
    ).toBe('my folder/vídeo.mp4');
  });

  it.each([
    [{ url: 'https://h/bucket/x', key: 'k', secret: 's' }, 'INVALID_ENDPOINT'],
    [{ url: 's3://h', key: 'k', secret: 's' }, 'INVALID_ENDPOINT'],
    [{ url: 's3://h/bucket-a/x', key: '', secret: 's' }, 'VALIDATION_FAILED'],
    [{ url: 's3://h/bucket-a/x', key: 'k', secret: 's', permissions: 'authenticated-read' }, 'INVALID_ACL'],
    [{ url: 's3://h/bucket-a/../x', key: 'k', secret: 's' }, 'INVALID_KEY'],
    [{ url: 's3://h/bucket-a/x', key: 'k', secret: 's', use_tls: 2 as unknown as 0 }, 'VALIDATION_FAILED'],
  ])('refuses %j with %s', (input, code) => {
    expect(() => parseQencodeDestination(input)).toThrow(AppError);
    try {
      parseQencodeDestination(input);
    } catch (error) {
      expect((error as AppError).code).toBe(code);
    }
  });

  it('isQencodeDestination recognises the shape', () => {
    expect(isQencodeDestination({ url: 's3://h/b/x', key: 'k', secret: 's' })).toBe(true);
    expect(isQencodeDestination({ name: 'saved' })).toBe(false);
    expect(isQencodeDestination('managed')).toBe(false);
  });
});
