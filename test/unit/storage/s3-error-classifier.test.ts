import { NoSuchBucket, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import { classifyS3Error, regionFromError } from '../../../src/storage/s3/s3-error-classifier.js';

// Pure logic: errors shaped like the SDK's (same classes and fields), no I/O.

function service(
  name: string,
  status: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): S3ServiceException {
  const error = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} message`,
  });
  return Object.assign(
    error,
    {
      Code: name === 'Unknown' || name === 'NotFound' ? undefined : name,
      $response: { statusCode: status, headers, body: undefined },
    },
    extra,
  );
}

function nodeError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyS3Error: service answers', () => {
  it.each([
    ['AccessDenied', 403, 'ACCESS_DENIED'],
    ['AllAccessDisabled', 403, 'ACCESS_DENIED'],
    ['InvalidAccessKeyId', 403, 'INVALID_ACCESS_KEY_ID'],
    ['SignatureDoesNotMatch', 403, 'SIGNATURE_DOES_NOT_MATCH'],
    ['RequestTimeTooSkewed', 403, 'SIGNATURE_DOES_NOT_MATCH'],
    ['NoSuchBucket', 404, 'NO_SUCH_BUCKET'],
    ['InvalidStorageClass', 400, 'INVALID_STORAGE_CLASS'],
    ['AccessControlListNotSupported', 400, 'INVALID_ACL'],
    ['PreconditionFailed', 412, 'OBJECT_EXISTS'],
    ['ConditionalRequestConflict', 409, 'OBJECT_EXISTS'],
    ['EntityTooLarge', 400, 'FILE_TOO_LARGE'],
    ['RequestTimeout', 400, 'STORAGE_TIMEOUT'],
    ['SlowDown', 503, 'STORAGE_ERROR'],
    ['InternalError', 500, 'STORAGE_ERROR'],
    ['SomethingNew', 400, 'STORAGE_ERROR'],
  ])('%s (%i) → %s', (name, status, code) => {
    const classified = classifyS3Error(service(name, status));
    expect(classified).toBeInstanceOf(AppError);
    expect(classified.code).toBe(code);
    expect(classified.cause).toBeInstanceOf(S3ServiceException);
  });

  it('keeps the SDK’s modeled exception classes working (NoSuchBucket)', () => {
    const error = new NoSuchBucket({
      $metadata: { httpStatusCode: 404 },
      message: 'The specified bucket does not exist',
    });
    // The message stays the catalogue's (Tornado clients match on it); the bucket goes in details.
    expect(classifyS3Error(error, { bucket: 'b1' })).toMatchObject({
      code: 'NO_SUCH_BUCKET',
      message: 'Verification failed: NoSuchBucket',
      details: { bucket: 'b1' },
    });
  });

  it('HEAD 403 without a body (name Unknown) is ACCESS_DENIED', () => {
    expect(classifyS3Error(service('Unknown', 403)).code).toBe('ACCESS_DENIED');
  });

  it('HEAD 404 NotFound on a bucket is NO_SUCH_BUCKET, on an object a plain storage error', () => {
    expect(classifyS3Error(service('NotFound', 404), { operation: 'headBucket' }).code).toBe(
      'NO_SUCH_BUCKET',
    );
    expect(classifyS3Error(service('NotFound', 404), { operation: 'head' }).code).toBe('STORAGE_ERROR');
  });

  it('5xx and 429 are retryable, 4xx are not', () => {
    expect(classifyS3Error(service('InternalError', 500)).retryable).toBe(true);
    expect(classifyS3Error(service('Weird', 429)).retryable).toBe(true);
    expect(classifyS3Error(service('AccessDenied', 403)).retryable).toBe(false);
  });
});

describe('classifyS3Error: wrong region', () => {
  it('400 AuthorizationHeaderMalformed names the region from the Region field', () => {
    const error = service('AuthorizationHeaderMalformed', 400, { Region: 'eu-west-1' });
    expect(classifyS3Error(error)).toMatchObject({
      code: 'WRONG_REGION',
      message: 'Verification failed: WrongRegion (the bucket is in eu-west-1)',
      details: { region: 'eu-west-1' },
    });
  });

  it('reads the region from x-amz-bucket-region first', () => {
    const error = service('PermanentRedirect', 301, {}, { 'x-amz-bucket-region': 'ap-south-1' });
    expect(regionFromError(error)).toBe('ap-south-1');
    expect(classifyS3Error(error).details).toEqual({ region: 'ap-south-1' });
  });

  it('reads it from the message ("expecting \'us-west-2\'") when nothing else says', () => {
    const error = service('AuthorizationHeaderMalformed', 400);
    error.message =
      "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'us-west-2'";
    expect(classifyS3Error(error).details).toEqual({ region: 'us-west-2' });
  });

  it('a bare HEAD 301 is WRONG_REGION, even without a region', () => {
    const classified = classifyS3Error(service('Unknown', 301));
    expect(classified.code).toBe('WRONG_REGION');
    expect(classified.message).toBe('Verification failed: WrongRegion');
  });

  it('a HEAD 400 whose x-amz-bucket-region differs from ours is WRONG_REGION', () => {
    const error = service('Unknown', 400, {}, { 'x-amz-bucket-region': 'eu-north-1' });
    expect(classifyS3Error(error, { region: 'us-east-1' }).code).toBe('WRONG_REGION');
    expect(classifyS3Error(error, { region: 'eu-north-1' }).code).toBe('STORAGE_ERROR');
  });

  it('AuthorizationHeaderMalformed that is not about the region is a credential problem', () => {
    const error = service('AuthorizationHeaderMalformed', 400);
    error.message = 'The authorization header is malformed; the Credential is mal-formed.';
    expect(classifyS3Error(error).code).toBe('INVALID_ACCESS_KEY_ID');
  });
});

describe('classifyS3Error: transport', () => {
  it('connection refused, DNS failure and resets are STORAGE_UNREACHABLE', () => {
    expect(classifyS3Error(nodeError('ECONNREFUSED'))).toMatchObject({
      message: 'Verification failed: Unreachable',
      details: { reason: 'connection refused' },
      retryable: true,
    });
    expect(classifyS3Error(nodeError('ENOTFOUND')).details).toEqual({
      reason: 'the host name does not resolve',
    });
    expect(classifyS3Error(nodeError('EHOSTUNREACH')).code).toBe('STORAGE_UNREACHABLE');
    expect(classifyS3Error(nodeError('ECONNRESET')).code).toBe('STORAGE_UNREACHABLE');
  });

  it('looks inside AggregateError (happy eyeballs) and cause chains', () => {
    const aggregate = new AggregateError(
      [nodeError('ECONNREFUSED'), nodeError('ECONNREFUSED')],
      'connect failed',
    );
    expect(classifyS3Error(aggregate).code).toBe('STORAGE_UNREACHABLE');
    expect(classifyS3Error(new Error('wrapped', { cause: nodeError('CERT_HAS_EXPIRED') })).code).toBe(
      'STORAGE_TLS',
    );
  });

  it('TLS failures are STORAGE_TLS', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'EPROTO',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      expect(classifyS3Error(nodeError(code)).code).toBe('STORAGE_TLS');
    }
    expect(
      classifyS3Error(
        new Error('write EPROTO 0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'),
      ).code,
    ).toBe('STORAGE_TLS');
  });

  it('the handler’s timeouts: connect timeout is unreachable, a silent server is a timeout', () => {
    const connect = Object.assign(
      new Error(
        '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 5000 ms.',
      ),
      { name: 'TimeoutError' },
    );
    expect(classifyS3Error(connect).code).toBe('STORAGE_UNREACHABLE');
    const request = Object.assign(
      new Error('a request has exceeded the configured 1500 ms requestTimeout.'),
      { name: 'TimeoutError', code: 'ETIMEDOUT' },
    );
    expect(classifyS3Error(request).code).toBe('STORAGE_TIMEOUT');
  });

  it('our own deadline turns anything into STORAGE_TIMEOUT with the limit in the message', () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(classifyS3Error(abort, { timedOut: true, timeoutMs: 15_000 })).toMatchObject({
      code: 'STORAGE_TIMEOUT',
      message: 'Verification failed: timeout',
      details: { reason: 'the endpoint did not answer within 15 s', timeoutMs: 15_000 },
    });
  });

  it('invalid URLs are INVALID_ENDPOINT', () => {
    expect(classifyS3Error(nodeError('ERR_INVALID_URL', 'Invalid URL')).code).toBe('INVALID_ENDPOINT');
  });

  it('AppErrors (e.g. EGRESS_DENIED from the egress agent) pass through, even as a cause', () => {
    const egress = new AppError('EGRESS_DENIED');
    expect(classifyS3Error(egress)).toBe(egress);
    expect(classifyS3Error(new Error('connect failed', { cause: egress }))).toBe(egress);
  });

  it('anything else is a retryable STORAGE_ERROR', () => {
    expect(classifyS3Error('a string')).toMatchObject({ code: 'STORAGE_ERROR', retryable: true });
  });
});
