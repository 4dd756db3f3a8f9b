// Real parts: the HTTP app on a loopback port, SQLite and PostgreSQL, local managed storage on disk,
// the shared s3rver as one user's saved destination. No workers: nothing here may create work.
//
// Every malformed request answers 4xx with a stable code (and `error.field` when a field is at
// fault), never 5xx, and changes no row in any table and no object anywhere.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ERROR_CODES } from '../../../src/core/error-codes.js';
import { testDatabases } from '../../support/databases.js';
import { connectShared, type S3TestServer } from '../../support/s3-servers.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { listFiles, rawRequest, snapshotDatabase, type RawRequest } from './security-support.js';

type Who = 'user' | 'admin' | 'none';

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly who?: Who;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** Native routes: `error.code`; Importly: `code`; Tornado has no code (its seed's shape). */
  readonly code?: string;
  readonly field?: string;
}

const URL_OK = 'https://media.example.com/clip.mp4';
const LONG = (n: number, c = 'a') => c.repeat(n);
const DEST_OK = {
  endpoint: 'http://127.0.0.1:1',
  region: 'us-east-1',
  bucket: 'good-bucket',
  accessKeyId: 'AKIAEXAMPLE',
  secretAccessKey: 'secret-example',
};

function importCases(): Case[] {
  const post = (
    name: string,
    body: unknown,
    status: number,
    code: string,
    field?: string,
    headers?: Record<string, string>,
  ): Case => ({
    name: `POST /v1/imports ${name}`,
    method: 'POST',
    path: '/v1/imports',
    body,
    status,
    code,
    ...(field === undefined ? {} : { field }),
    ...(headers === undefined ? {} : { headers }),
  });
  const v = (name: string, body: unknown, field: string) => post(name, body, 400, 'VALIDATION_FAILED', field);
  const inline = (extra: Record<string, unknown>) => ({ url: URL_OK, destination: { ...DEST_OK, ...extra } });
  const qencode = (extra: Record<string, unknown>) => ({
    url: URL_OK,
    destination: { url: 's3://127.0.0.1:1/good-bucket/videos', key: 'k', secret: 's', ...extra },
  });
  return [
    v('missing url', {}, 'url'),
    v('url number', { url: 42 }, 'url'),
    v('url null', { url: null }, 'url'),
    v('url array', { url: [URL_OK] }, 'url'),
    v('url object', { url: { href: URL_OK } }, 'url'),
    v('url empty', { url: '' }, 'url'),
    v('url over 4096 characters', { url: `https://media.example.com/${LONG(4080)}` }, 'url'),
    post('url with a NUL', { url: 'https://media.example.com/a\u0000b.mp4' }, 400, 'INVALID_URL', 'url'),
    post('url with a newline', { url: 'https://media.example.com/a\nb.mp4' }, 400, 'INVALID_URL', 'url'),
    post(
      'url with a tab in the host',
      { url: 'https://media.exam\tple.com/a.mp4' },
      400,
      'INVALID_URL',
      'url',
    ),
    post('url not a URL', { url: 'not a url' }, 400, 'INVALID_URL', 'url'),
    post('url relative', { url: '/media/clip.mp4' }, 400, 'INVALID_URL', 'url'),
    post('url ftp', { url: 'ftp://media.example.com/clip.mp4' }, 400, 'INVALID_URL', 'url'),
    post('url file', { url: 'file:///etc/passwd' }, 400, 'INVALID_URL', 'url'),
    post('url javascript', { url: 'javascript:alert(1)' }, 400, 'INVALID_URL', 'url'),
    post('url data', { url: 'data:text/plain,hello' }, 400, 'INVALID_URL', 'url'),
    post('url gopher', { url: 'gopher://media.example.com/1' }, 400, 'INVALID_URL', 'url'),
    post('url user:pass', { url: 'http://user:pass@media.example.com/clip.mp4' }, 400, 'INVALID_URL', 'url'),
    post('url user only', { url: 'http://user@media.example.com/clip.mp4' }, 400, 'INVALID_URL', 'url'),
    post('url scheme only', { url: 'http://' }, 400, 'INVALID_URL', 'url'),
    v('unknown field', { url: URL_OK, colour: 'blue' }, 'colour'),
    v('unknown field __proto__-like name', { url: URL_OK, prototype: {} }, 'prototype'),
    post(
      '__proto__ key',
      `{"url":"${URL_OK}","__proto__":{"isAdmin":true}}`,
      400,
      'INVALID_JSON',
      undefined,
      { 'content-type': 'application/json' },
    ),
    post(
      'constructor.prototype key',
      `{"url":"${URL_OK}","constructor":{"prototype":{"x":1}}}`,
      400,
      'INVALID_JSON',
      undefined,
      { 'content-type': 'application/json' },
    ),
    v('destination number', { url: URL_OK, destination: 5 }, 'destination'),
    v('destination empty', { url: URL_OK, destination: '' }, 'destination'),
    v('destination name with ..', { url: URL_OK, destination: '../main' }, 'destination'),
    v('destination name with /', { url: URL_OK, destination: 'a/b' }, 'destination'),
    v('destination name over 64', { url: URL_OK, destination: LONG(65) }, 'destination'),
    post(
      'destination unknown name',
      { url: URL_OK, destination: 'nope' },
      404,
      'DESTINATION_NOT_FOUND',
      'destination',
    ),
    v(
      'inline destination missing bucket',
      { url: URL_OK, destination: { ...DEST_OK, bucket: undefined } },
      'destination',
    ),
    v('inline destination unknown field', inline({ sessionToken: 'x' }), 'destination'),
    v('inline destination bucket uppercase', inline({ bucket: 'Bad_Bucket' }), 'bucket'),
    v('inline destination bucket with ..', inline({ bucket: 'bad..bucket' }), 'bucket'),
    post(
      'inline destination endpoint ftp',
      inline({ endpoint: 'ftp://127.0.0.1:1' }),
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post(
      'inline destination endpoint user:pass',
      inline({ endpoint: 'http://user:pass@127.0.0.1:1' }),
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post(
      'inline destination endpoint with query',
      inline({ endpoint: 'http://127.0.0.1:1/?x=1' }),
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post(
      'inline destination unknown storage class',
      inline({ provider: 'aws', storageClass: 'NOT_A_CLASS' }),
      400,
      'INVALID_STORAGE_CLASS',
      'storageClass',
    ),
    v('inline destination secret with control char', inline({ secretAccessKey: 'a\u0001b' }), 'destination'),
    v('qencode url not s3://', qencode({ url: 'http://127.0.0.1:1/good-bucket' }), 'destination'),
    post(
      'qencode url with ..',
      qencode({ url: 's3://127.0.0.1:1/good-bucket/../x' }),
      400,
      'INVALID_KEY',
      'destination.url',
    ),
    v('qencode use_tls 2', qencode({ use_tls: 2 }), 'destination'),
    v('bucket too short', { url: URL_OK, bucket: 'ab' }, 'bucket'),
    v('bucket over 63', { url: URL_OK, bucket: LONG(64) }, 'bucket'),
    v('bucket uppercase and _', { url: URL_OK, bucket: 'Bad_Bucket' }, 'bucket'),
    v('bucket starting with -', { url: URL_OK, bucket: '-bucket' }, 'bucket'),
    v('bucket number', { url: URL_OK, bucket: 12345 }, 'bucket'),
    post('path with ..', { url: URL_OK, path: 'videos/../../etc' }, 400, 'INVALID_KEY', 'path'),
    post('path only ..', { url: URL_OK, path: '..' }, 400, 'INVALID_KEY', 'path'),
    post('path with backslash', { url: URL_OK, path: 'videos\\2024' }, 400, 'INVALID_KEY', 'path'),
    post('path with empty segment', { url: URL_OK, path: 'videos//2024' }, 400, 'INVALID_KEY', 'path'),
    v('path with a NUL', { url: URL_OK, path: 'videos/\u0000' }, 'path'),
    v('path with DEL', { url: URL_OK, path: 'videos/\u007f' }, 'path'),
    v('path over 1024 characters', { url: URL_OK, path: LONG(1025) }, 'path'),
    post('path over 1024 UTF-8 bytes', { url: URL_OK, path: LONG(1000, 'é') }, 400, 'INVALID_KEY', 'path'),
    post('filename with /', { url: URL_OK, filename: 'a/b' }, 400, 'INVALID_KEY', 'filename'),
    post('filename ..', { url: URL_OK, filename: '..' }, 400, 'INVALID_KEY', 'filename'),
    post('filename with backslash', { url: URL_OK, filename: '..\\..\\x' }, 400, 'INVALID_KEY', 'filename'),
    v('filename with a newline', { url: URL_OK, filename: 'a\nb' }, 'filename'),
    v('filename empty', { url: URL_OK, filename: '' }, 'filename'),
    v('filename over 255', { url: URL_OK, filename: LONG(256) }, 'filename'),
    v('storageClass lowercase', { url: URL_OK, storageClass: 'glacier' }, 'storageClass'),
    post(
      'storageClass unknown',
      { url: URL_OK, storageClass: 'NOT_A_CLASS' },
      400,
      'INVALID_STORAGE_CLASS',
      'storageClass',
    ),
    v('acl unknown', { url: URL_OK, acl: 'public-read-write' }, 'acl'),
    v('format string', { url: URL_OK, format: 'mp4' }, 'format'),
    v('format without kind', { url: URL_OK, format: { quality: 'best' } }, 'format.kind'),
    v('format kind image', { url: URL_OK, format: { kind: 'image' } }, 'format.kind'),
    v('format quality 9000p', { url: URL_OK, format: { kind: 'video', quality: '9000p' } }, 'format.quality'),
    v(
      'format container avi',
      { url: URL_OK, format: { kind: 'video', container: 'avi' } },
      'format.container',
    ),
    v('format unknown field', { url: URL_OK, format: { kind: 'video', codec: 'h264' } }, 'format.codec'),
    v(
      'format video as mp3',
      { url: URL_OK, format: { kind: 'video', container: 'mp3' } },
      'format.container',
    ),
    v(
      'format audio as webm',
      { url: URL_OK, format: { kind: 'audio', container: 'webm' } },
      'format.container',
    ),
    v('outputs empty', { url: URL_OK, outputs: [] }, 'outputs'),
    v('outputs duplicated', { url: URL_OK, outputs: ['file', 'file'] }, 'outputs'),
    v('outputs unknown', { url: URL_OK, outputs: ['gif'] }, 'outputs.0'),
    v('outputs not an array', { url: URL_OK, outputs: 'file' }, 'outputs'),
    v('playlist string', { url: URL_OK, playlist: 'yes' }, 'playlist'),
    v('maxItems 0', { url: URL_OK, playlist: true, maxItems: 0 }, 'maxItems'),
    v('maxItems 1001', { url: URL_OK, playlist: true, maxItems: 1001 }, 'maxItems'),
    v('maxItems fraction', { url: URL_OK, playlist: true, maxItems: 1.5 }, 'maxItems'),
    v('maxItems string', { url: URL_OK, playlist: true, maxItems: '10' }, 'maxItems'),
    v('ifExists unknown', { url: URL_OK, ifExists: 'replace' }, 'ifExists'),
    v('presignExpiresIn 0', { url: URL_OK, presignExpiresIn: 0 }, 'presignExpiresIn'),
    v('presignExpiresIn over 7 days', { url: URL_OK, presignExpiresIn: 604_801 }, 'presignExpiresIn'),
    v('presignExpiresIn negative', { url: URL_OK, presignExpiresIn: -1 }, 'presignExpiresIn'),
    v('presignExpiresIn huge', { url: URL_OK, presignExpiresIn: 1e300 }, 'presignExpiresIn'),
    v('webhook string', { url: URL_OK, webhook: 'https://hooks.example.com' }, 'webhook'),
    v('webhook without url', { url: URL_OK, webhook: { secret: 's' } }, 'webhook.url'),
    v(
      'webhook unknown field',
      { url: URL_OK, webhook: { url: 'https://hooks.example.com', method: 'PUT' } },
      'webhook.method',
    ),
    post(
      'webhook url ftp',
      { url: URL_OK, webhook: { url: 'ftp://hooks.example.com/x' } },
      400,
      'INVALID_URL',
      'webhook.url',
    ),
    post(
      'webhook url user:pass',
      { url: URL_OK, webhook: { url: 'https://u:p@hooks.example.com/x' } },
      400,
      'INVALID_URL',
      'webhook.url',
    ),
    post(
      'webhook url not a URL',
      { url: URL_OK, webhook: { url: 'hooks' } },
      400,
      'INVALID_URL',
      'webhook.url',
    ),
    v('metadata array', { url: URL_OK, metadata: ['a'] }, 'metadata'),
    v('metadata number value', { url: URL_OK, metadata: { a: 1 } }, 'metadata.a'),
    v(
      'metadata 33 keys',
      { url: URL_OK, metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
    ),
    v('metadata key with control char', { url: URL_OK, metadata: { 'a\u0001': 'v' } }, 'metadata'),
    v('metadata key over 64', { url: URL_OK, metadata: { [LONG(65)]: 'v' } }, 'metadata'),
    v('metadata value over 1024', { url: URL_OK, metadata: { a: LONG(1025) } }, `metadata.a`),
    v('metadata value with NUL', { url: URL_OK, metadata: { a: 'x\u0000y' } }, `metadata.a`),
    v('body is an array', [{ url: URL_OK }], 'body'),
    v('body is a string', '"https://media.example.com/clip.mp4"', 'body'),
    v('body is null', 'null', 'body'),
    v('body is a number', '42', 'body'),
    post('malformed JSON (truncated)', '{"url":', 400, 'INVALID_JSON'),
    post('malformed JSON (trailing comma)', `{"url":"${URL_OK}",}`, 400, 'INVALID_JSON'),
    post('malformed JSON (single quotes)', `{'url':'${URL_OK}'}`, 400, 'INVALID_JSON'),
    post('malformed JSON (two documents)', `{"url":"${URL_OK}"}{}`, 400, 'INVALID_JSON'),
    post('empty JSON body', '', 400, 'INVALID_JSON', undefined, { 'content-type': 'application/json' }),
    post('text/plain body', URL_OK, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, {
      'content-type': 'text/plain',
    }),
    post('form body', `url=${encodeURIComponent(URL_OK)}`, 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, {
      'content-type': 'application/x-www-form-urlencoded',
    }),
    post('multipart body', '--x\r\n\r\n--x--', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, {
      'content-type': 'multipart/form-data; boundary=x',
    }),
    post('XML body', '<url/>', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, {
      'content-type': 'application/xml',
    }),
    post('body over 256 KiB', { url: URL_OK, metadata: { a: LONG(300 * 1024) } }, 413, 'BODY_TOO_LARGE'),
    post(
      'Idempotency-Key with a space',
      { url: URL_OK },
      400,
      'VALIDATION_FAILED',
      'headers.idempotency-key',
      { 'idempotency-key': 'a b' },
    ),
    post('Idempotency-Key over 255', { url: URL_OK }, 400, 'VALIDATION_FAILED', 'headers.idempotency-key', {
      'idempotency-key': LONG(256),
    }),
  ];
}

function listAndIdCases(): Case[] {
  const list = (query: string, status: number, code: string, field?: string): Case => ({
    name: `GET /v1/imports?${query.slice(0, 60)}`,
    method: 'GET',
    path: `/v1/imports?${query}`,
    status,
    code,
    ...(field === undefined ? {} : { field }),
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const imp = (
    method: string,
    suffix: string,
    status: number,
    code: string,
    field?: string,
    body?: unknown,
  ): Case => ({
    name: `${method} /v1/imports/${suffix.length > 70 ? `${suffix.slice(0, 30)}…${suffix.slice(-30)}` : suffix}${body === undefined ? '' : ' with a malformed body'}`,
    method,
    path: `/v1/imports/${suffix}`,
    status,
    code,
    ...(field === undefined ? {} : { field }),
    ...(body === undefined ? {} : { body }),
  });
  return [
    list('status=bogus', 400, 'VALIDATION_FAILED', 'querystring.status'),
    list('status=queued&status=running', 400, 'VALIDATION_FAILED', 'querystring.status'),
    list('limit=0', 400, 'VALIDATION_FAILED', 'querystring.limit'),
    list('limit=101', 400, 'VALIDATION_FAILED', 'querystring.limit'),
    list('limit=abc', 400, 'VALIDATION_FAILED', 'querystring.limit'),
    list('limit=-1', 400, 'VALIDATION_FAILED', 'querystring.limit'),
    list('limit=1e3', 400, 'VALIDATION_FAILED', 'querystring.limit'),
    list('cursor=', 400, 'VALIDATION_FAILED', 'querystring.cursor'),
    list(`cursor=${LONG(201)}`, 400, 'VALIDATION_FAILED', 'querystring.cursor'),
    list('cursor=garbage', 400, 'INVALID_CURSOR', 'cursor'),
    list(`cursor=${b64('{"createdAt":"x","id":5}')}`, 400, 'INVALID_CURSOR', 'cursor'),
    list(`cursor=${b64('[]')}`, 400, 'INVALID_CURSOR', 'cursor'),
    list(`cursor=${b64('null')}`, 400, 'INVALID_CURSOR', 'cursor'),
    list(`cursor=${b64("1' OR '1'='1")}`, 400, 'INVALID_CURSOR', 'cursor'),
    list('cursor=%00%01', 400, 'VALIDATION_FAILED'),
    list(`cursor=${b64('1:imp_' + LONG(26, '\u0000'))}`, 400, 'INVALID_CURSOR', 'cursor'),
    list('parentId=bad', 400, 'VALIDATION_FAILED', 'querystring.parentId'),
    list('parentId=imp_..%2F..', 400, 'VALIDATION_FAILED', 'querystring.parentId'),
    list('colour=blue', 400, 'VALIDATION_FAILED', 'querystring.colour'),
    imp('GET', 'imp_00000000000000000000000000', 404, 'IMPORT_NOT_FOUND'),
    imp('GET', LONG(65), 400, 'VALIDATION_FAILED', 'params.id'),
    imp('GET', '%00', 400, 'VALIDATION_FAILED'),
    imp('GET', 'imp_%7f', 400, 'VALIDATION_FAILED'),
    imp('GET', '..', 404, 'IMPORT_NOT_FOUND'),
    imp('GET', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', 404, 'IMPORT_NOT_FOUND'),
    imp('GET', "'%20OR%20'1'='1", 404, 'IMPORT_NOT_FOUND'),
    imp('GET', '%F0%9F%92%A9', 404, 'IMPORT_NOT_FOUND'),
    imp('GET', '%ZZ', 400, 'VALIDATION_FAILED'),
    imp('POST', 'imp_00000000000000000000000000/cancel', 404, 'IMPORT_NOT_FOUND'),
    imp('POST', `${LONG(65)}/cancel`, 400, 'VALIDATION_FAILED', 'params.id'),
    imp('POST', '../cancel', 404, 'IMPORT_NOT_FOUND'),
    imp('POST', '%0d%0aSet-Cookie:%20x/cancel', 400, 'VALIDATION_FAILED'),
    imp('POST', 'imp_00000000000000000000000000/cancel', 400, 'INVALID_JSON', undefined, '{'),
    imp(
      'GET',
      'imp_00000000000000000000000000/files/fil_00000000000000000000000000',
      404,
      'IMPORT_NOT_FOUND',
    ),
    imp('GET', `imp_00000000000000000000000000/files/${LONG(65)}`, 400, 'VALIDATION_FAILED', 'params.fileId'),
    imp('GET', 'imp_00000000000000000000000000/files/..', 404, 'IMPORT_NOT_FOUND'),
    imp('GET', `${LONG(65)}/files/x`, 400, 'VALIDATION_FAILED', 'params.id'),
  ];
}

function destinationCases(): Case[] {
  const base = { name: 'fresh', ...DEST_OK };
  const post = (
    name: string,
    body: unknown,
    status: number,
    code: string,
    field?: string,
    headers?: Record<string, string>,
  ): Case => ({
    name: `POST /v1/destinations ${name}`,
    method: 'POST',
    path: '/v1/destinations',
    body,
    status,
    code,
    ...(field === undefined ? {} : { field }),
    ...(headers === undefined ? {} : { headers }),
  });
  const v = (name: string, patch: Record<string, unknown>, field: string) =>
    post(name, { ...base, ...patch }, 400, 'VALIDATION_FAILED', field);
  const test = (
    name: string,
    patch: Record<string, unknown>,
    status: number,
    code: string,
    field?: string,
  ): Case => ({
    name: `POST /v1/destinations/test ${name}`,
    method: 'POST',
    path: '/v1/destinations/test',
    body: { ...DEST_OK, ...patch },
    status,
    code,
    ...(field === undefined ? {} : { field }),
  });
  const patch = (
    name: string,
    body: unknown,
    status: number,
    code: string,
    field?: string,
    target = 'main',
  ): Case => ({
    name: `PATCH /v1/destinations/${target.slice(0, 40)} ${name}`,
    method: 'PATCH',
    path: `/v1/destinations/${target}`,
    body,
    status,
    code,
    ...(field === undefined ? {} : { field }),
  });
  const named = (
    method: string,
    name: string,
    suffix: string,
    status: number,
    code: string,
    field?: string,
  ): Case => ({
    name: `${method} /v1/destinations/${name.slice(0, 40)}${suffix}`,
    method,
    path: `/v1/destinations/${name}${suffix}`,
    status,
    code,
    ...(field === undefined ? {} : { field }),
  });
  return [
    v('missing name', { name: undefined }, 'name'),
    v('name with ..', { name: '..' }, 'name'),
    v('name with /', { name: 'a/b' }, 'name'),
    v('name over 64', { name: LONG(65) }, 'name'),
    v('name empty', { name: '' }, 'name'),
    v('name number', { name: 7 }, 'name'),
    v('name with a newline', { name: 'a\nb' }, 'name'),
    v('missing bucket', { bucket: undefined }, 'bucket'),
    v('bucket too short', { bucket: 'ab' }, 'bucket'),
    v('bucket over 63', { bucket: LONG(64) }, 'bucket'),
    v('bucket uppercase', { bucket: 'BadBucket' }, 'bucket'),
    v('bucket with ..', { bucket: 'bad..bucket' }, 'bucket'),
    v('bucket starting with -', { bucket: '-bucket' }, 'bucket'),
    v('bucket with /', { bucket: 'bucket/key' }, 'bucket'),
    v('bucket with spaces', { bucket: 'my bucket' }, 'bucket'),
    v('missing accessKeyId', { accessKeyId: undefined }, 'accessKeyId'),
    v('missing secretAccessKey', { secretAccessKey: undefined }, 'secretAccessKey'),
    v('secretAccessKey with control char', { secretAccessKey: 'a\u0007b' }, 'secretAccessKey'),
    v('secretAccessKey over 512', { secretAccessKey: LONG(513) }, 'secretAccessKey'),
    v('secretAccessKey number', { secretAccessKey: 123 }, 'secretAccessKey'),
    v('accessKeyId over 256', { accessKeyId: LONG(257) }, 'accessKeyId'),
    post('endpoint ftp', { ...base, endpoint: 'ftp://127.0.0.1:1' }, 400, 'INVALID_ENDPOINT', 'endpoint'),
    post(
      'endpoint user:pass',
      { ...base, endpoint: 'http://user:pass@127.0.0.1:1' },
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post('endpoint file', { ...base, endpoint: 'file:///etc/passwd' }, 400, 'INVALID_ENDPOINT', 'endpoint'),
    post(
      'endpoint javascript',
      { ...base, endpoint: 'javascript://alert(1)' },
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post(
      'endpoint not a host',
      { ...base, endpoint: 'http://exa mple.com' },
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    post(
      'endpoint with fragment',
      { ...base, endpoint: 'http://127.0.0.1:1/#x' },
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    v('endpoint with a newline', { endpoint: 'http://127.0.0.1:1\n' }, 'endpoint'),
    v('endpoint over 2048', { endpoint: `http://127.0.0.1:1/${LONG(2048)}` }, 'endpoint'),
    v('provider unknown', { provider: 'dropbox' }, 'provider'),
    v('region with _', { region: 'us_east_1' }, 'region'),
    v('region empty', { region: '' }, 'region'),
    post(
      'storageClass GLACIER on r2',
      { ...base, provider: 'r2', accountId: 'abc123', storageClass: 'GLACIER' },
      400,
      'INVALID_STORAGE_CLASS',
      'storageClass',
    ),
    post(
      'storageClass unknown on aws',
      { ...base, provider: 'aws', storageClass: 'NOT_A_CLASS' },
      400,
      'INVALID_STORAGE_CLASS',
      'storageClass',
    ),
    v('storageClass with -', { storageClass: 'glacier-ir' }, 'storageClass'),
    v('acl unknown', { acl: 'authenticated-read' }, 'acl'),
    v('serverSideEncryption unknown', { serverSideEncryption: 'DES' }, 'serverSideEncryption'),
    v('presignExpiresIn over 7 days', { presignExpiresIn: 604_801 }, 'presignExpiresIn'),
    v('forcePathStyle string', { forcePathStyle: 'true' }, 'forcePathStyle'),
    v('default string', { default: 'yes' }, 'default'),
    post('pathPrefix with ..', { ...base, pathPrefix: 'a/../../b' }, 400, 'INVALID_KEY', 'pathPrefix'),
    v('pathPrefix with control char', { pathPrefix: 'a\u0000' }, 'pathPrefix'),
    post(
      'publicEndpoint ftp',
      { ...base, publicEndpoint: 'ftp://cdn.example.com' },
      400,
      'INVALID_ENDPOINT',
      'publicEndpoint',
    ),
    v('accountId with -', { accountId: 'a-b' }, 'accountId'),
    v('unknown field', { sessionToken: 'x' }, 'sessionToken'),
    post('existing name', { ...base, name: 'main' }, 409, 'DESTINATION_EXISTS', 'name'),
    post('malformed JSON', '{"name":"x",', 400, 'INVALID_JSON'),
    post('text/plain', 'name=x', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined, { 'content-type': 'text/plain' }),
    post('array body', '[]', 400, 'VALIDATION_FAILED', 'body'),
    test('missing bucket', { bucket: undefined }, 400, 'VALIDATION_FAILED', 'bucket'),
    test('endpoint ftp', { endpoint: 'ftp://127.0.0.1:1' }, 400, 'INVALID_ENDPOINT', 'endpoint'),
    test('unknown field', { token: 'x' }, 400, 'VALIDATION_FAILED', 'token'),
    test('provider unknown', { provider: 'ipfs' }, 400, 'VALIDATION_FAILED', 'provider'),
    test('bucket uppercase', { bucket: 'UPPER' }, 400, 'VALIDATION_FAILED', 'bucket'),
    patch('empty body', {}, 400, 'VALIDATION_FAILED', 'body'),
    patch('bucket number', { bucket: 5 }, 400, 'VALIDATION_FAILED', 'bucket'),
    patch('endpoint ftp', { endpoint: 'ftp://127.0.0.1:1' }, 400, 'INVALID_ENDPOINT', 'endpoint'),
    patch(
      'endpoint user:pass',
      { endpoint: 'http://user:pass@127.0.0.1:1' },
      400,
      'INVALID_ENDPOINT',
      'endpoint',
    ),
    patch(
      'storageClass unknown',
      { storageClass: 'NOT_A_CLASS' },
      400,
      'INVALID_STORAGE_CLASS',
      'storageClass',
    ),
    patch('rename to ..', { name: '..' }, 400, 'VALIDATION_FAILED', 'name'),
    patch('bucket uppercase', { bucket: 'UPPER_CASE' }, 400, 'VALIDATION_FAILED', 'bucket'),
    patch('pathPrefix with ..', { pathPrefix: '../x' }, 400, 'INVALID_KEY', 'pathPrefix'),
    patch('unknown field', { colour: 'red' }, 400, 'VALIDATION_FAILED', 'colour'),
    patch('malformed JSON', '{', 400, 'INVALID_JSON'),
    patch('unknown name', { region: 'eu-west-1' }, 404, 'DESTINATION_NOT_FOUND', undefined, 'nope'),
    patch('name param ..', { region: 'eu-west-1' }, 400, 'VALIDATION_FAILED', 'params.name', '..'),
    patch('name param over 64', { region: 'eu-west-1' }, 400, 'VALIDATION_FAILED', 'params.name', LONG(65)),
    named('GET', 'nope', '', 404, 'DESTINATION_NOT_FOUND'),
    named('GET', '%00', '', 400, 'VALIDATION_FAILED'),
    named('GET', '..', '', 400, 'VALIDATION_FAILED', 'params.name'),
    named('GET', '-x', '', 400, 'VALIDATION_FAILED', 'params.name'),
    named('DELETE', 'nope', '', 404, 'DESTINATION_NOT_FOUND'),
    named('DELETE', '..', '', 400, 'VALIDATION_FAILED', 'params.name'),
    named('DELETE', '%0d%0a', '', 400, 'VALIDATION_FAILED'),
    named('POST', 'nope', '/test', 404, 'DESTINATION_NOT_FOUND'),
    named('POST', '..', '/test', 400, 'VALIDATION_FAILED', 'params.name'),
    named('POST', LONG(65), '/test', 400, 'VALIDATION_FAILED', 'params.name'),
  ];
}

function keyUserFileCases(): Case[] {
  const c = (
    name: string,
    method: string,
    path: string,
    who: Who,
    body: unknown,
    status: number,
    code: string,
    field?: string,
  ): Case => ({
    name: `${method} ${path.slice(0, 50)} ${name}`,
    method,
    path,
    who,
    ...(body === undefined ? {} : { body }),
    status,
    code,
    ...(field === undefined ? {} : { field }),
  });
  const files = (name: string, path: string, status: number, code: string, field?: string) =>
    c(name, 'GET', path, 'none', undefined, status, code, field);
  const sig = 'A'.repeat(43);
  return [
    c('name number', 'POST', '/v1/keys', 'user', { name: 5 }, 400, 'VALIDATION_FAILED', 'name'),
    c(
      'name with control char',
      'POST',
      '/v1/keys',
      'user',
      { name: 'a\u001bb' },
      400,
      'VALIDATION_FAILED',
      'name',
    ),
    c('name over 100', 'POST', '/v1/keys', 'user', { name: LONG(101) }, 400, 'VALIDATION_FAILED', 'name'),
    c(
      'unknown field',
      'POST',
      '/v1/keys',
      'user',
      { name: 'k', scope: 'admin' },
      400,
      'VALIDATION_FAILED',
      'scope',
    ),
    c('for another user (not admin)', 'POST', '/v1/keys', 'user', { user: 'admin' }, 403, 'FORBIDDEN'),
    c(
      'user with bad chars',
      'POST',
      '/v1/keys',
      'admin',
      { user: '../admin' },
      400,
      'VALIDATION_FAILED',
      'user',
    ),
    c('for an unknown user', 'POST', '/v1/keys', 'admin', { user: 'nobody' }, 404, 'USER_NOT_FOUND', 'user'),
    c('malformed JSON', 'POST', '/v1/keys', 'user', '{"name":', 400, 'INVALID_JSON'),
    c(
      'unknown id',
      'DELETE',
      '/v1/keys/key_00000000000000000000000000',
      'user',
      undefined,
      404,
      'KEY_NOT_FOUND',
    ),
    c(
      'id over 64',
      'DELETE',
      `/v1/keys/${LONG(65)}`,
      'user',
      undefined,
      400,
      'VALIDATION_FAILED',
      'params.id',
    ),
    c('id ..', 'DELETE', '/v1/keys/..', 'user', undefined, 404, 'KEY_NOT_FOUND'),
    c('id NUL', 'DELETE', '/v1/keys/key_%00', 'user', undefined, 400, 'VALIDATION_FAILED'),
    c('missing name', 'POST', '/v1/users', 'admin', {}, 400, 'VALIDATION_FAILED', 'name'),
    c('name with a space', 'POST', '/v1/users', 'admin', { name: 'a b' }, 400, 'VALIDATION_FAILED', 'name'),
    c('name with ..', 'POST', '/v1/users', 'admin', { name: '../x' }, 400, 'VALIDATION_FAILED', 'name'),
    c('name over 64', 'POST', '/v1/users', 'admin', { name: LONG(65) }, 400, 'VALIDATION_FAILED', 'name'),
    c(
      'isAdmin string',
      'POST',
      '/v1/users',
      'admin',
      { name: 'x', isAdmin: 'true' },
      400,
      'VALIDATION_FAILED',
      'isAdmin',
    ),
    c(
      'unknown field',
      'POST',
      '/v1/users',
      'admin',
      { name: 'x', role: 'root' },
      400,
      'VALIDATION_FAILED',
      'role',
    ),
    c('existing name', 'POST', '/v1/users', 'admin', { name: 'alice' }, 409, 'USER_EXISTS', 'name'),
    c('by a non-admin', 'POST', '/v1/users', 'user', { name: 'mallory', isAdmin: true }, 403, 'FORBIDDEN'),
    c('list by a non-admin', 'GET', '/v1/users', 'user', undefined, 403, 'FORBIDDEN'),
    c('no key', 'GET', '/v1/imports', 'none', undefined, 401, 'AUTH_MISSING'),
    c('no key', 'POST', '/v1/users', 'none', { name: 'x', isAdmin: true }, 401, 'AUTH_MISSING'),
    c('no key', 'DELETE', '/v1/keys/key_00000000000000000000000000', 'none', undefined, 401, 'AUTH_MISSING'),
    files('missing query', '/files/usr_x/a.mp4', 400, 'VALIDATION_FAILED', 'querystring.expires'),
    files(
      'expires not a number',
      `/files/usr_x/a.mp4?expires=soon&name=a.mp4&sig=${sig}`,
      400,
      'VALIDATION_FAILED',
      'querystring.expires',
    ),
    files(
      'missing sig',
      '/files/usr_x/a.mp4?expires=9999999999&name=a.mp4',
      400,
      'VALIDATION_FAILED',
      'querystring.sig',
    ),
    files(
      'wrong sig',
      `/files/usr_x/a.mp4?expires=9999999999&name=a.mp4&sig=${sig}`,
      403,
      'SIGNATURE_INVALID',
    ),
    files(
      '.. in the key',
      `/files/usr_x/../../etc/passwd?expires=9999999999&name=passwd&sig=${sig}`,
      403,
      'SIGNATURE_INVALID',
    ),
    files(
      'encoded .. in the key',
      `/files/usr_x/%2e%2e/%2e%2e/etc/passwd?expires=9999999999&name=passwd&sig=${sig}`,
      403,
      'SIGNATURE_INVALID',
    ),
    files(
      'user id over 64',
      `/files/${LONG(65)}/a.mp4?expires=9999999999&name=a.mp4&sig=${sig}`,
      400,
      'VALIDATION_FAILED',
      'params.userId',
    ),
    files(
      'name over 1024',
      `/files/usr_x/a.mp4?expires=9999999999&name=${LONG(1025)}&sig=${sig}`,
      400,
      'VALIDATION_FAILED',
      'querystring.name',
    ),
    files(
      'sig over 128',
      `/files/usr_x/a.mp4?expires=9999999999&name=a.mp4&sig=${LONG(129)}`,
      400,
      'VALIDATION_FAILED',
      'querystring.sig',
    ),
    c('unknown route', 'GET', '/v1/nothing-here', 'user', undefined, 404, 'ROUTE_NOT_FOUND'),
    c('unknown method', 'PUT', '/v1/imports', 'user', { url: URL_OK }, 404, 'ROUTE_NOT_FOUND'),
  ];
}

function compatCases(): Case[] {
  const tornado = (name: string, method: string, path: string, body: unknown, status: number): Case => ({
    name: `Tornado ${method} ${path.slice(0, 40)} ${name}`,
    method,
    path,
    ...(body === undefined ? {} : { body }),
    status,
  });
  const importly = (
    name: string,
    method: string,
    path: string,
    body: unknown,
    status: number,
    code: string,
  ): Case => ({
    name: `Importly ${method} ${path.slice(0, 40)} ${name}`,
    method,
    path,
    ...(body === undefined ? {} : { body }),
    status,
    code,
  });
  const bucket = {
    endpoint: 'http://127.0.0.1:1',
    bucket: 'good-bucket',
    access_key: 'AKIAEXAMPLE',
    secret_key: 'secret-example',
  };
  return [
    tornado('missing url', 'POST', '/jobs', {}, 400),
    tornado('url ftp', 'POST', '/jobs', { url: 'ftp://media.example.com/a.mp4' }, 400),
    tornado('url user:pass', 'POST', '/jobs', { url: 'http://u:p@media.example.com/a.mp4' }, 400),
    tornado('folder with ..', 'POST', '/jobs', { url: URL_OK, folder: 'a/../b' }, 400),
    tornado('folder absolute', 'POST', '/jobs', { url: URL_OK, folder: '/etc' }, 400),
    tornado('folder over 200', 'POST', '/jobs', { url: URL_OK, folder: LONG(201) }, 400),
    tornado('folder with control char', 'POST', '/jobs', { url: URL_OK, folder: 'a\u0000' }, 400),
    tornado('format avi', 'POST', '/jobs', { url: URL_OK, format: 'avi' }, 400),
    tornado('format mov', 'POST', '/jobs', { url: URL_OK, format: 'mov' }, 400),
    tornado('unknown field', 'POST', '/jobs', { url: URL_OK, quality: 'best' }, 400),
    tornado('malformed JSON', 'POST', '/jobs', '{"url"', 400),
    tornado('unknown job', 'GET', '/jobs/imp_00000000000000000000000000', undefined, 404),
    tornado('job id over 64', 'GET', `/jobs/${LONG(65)}`, undefined, 400),
    tornado('job id NUL', 'GET', '/jobs/imp_%00', undefined, 400),
    tornado('missing secret_key', 'POST', '/user/bucket', { ...bucket, secret_key: undefined }, 400),
    tornado('endpoint ftp', 'POST', '/user/bucket', { ...bucket, endpoint: 'ftp://127.0.0.1:1' }, 400),
    tornado(
      'endpoint user:pass',
      'POST',
      '/user/bucket',
      { ...bucket, endpoint: 'http://u:p@127.0.0.1:1' },
      400,
    ),
    tornado('bucket uppercase', 'POST', '/user/bucket', { ...bucket, bucket: 'Bad_Bucket' }, 400),
    tornado('unknown field', 'POST', '/user/bucket', { ...bucket, acl: 'public-read' }, 400),
    importly('missing url', 'POST', '/import', {}, 400, 'VALIDATION_FAILED'),
    importly('url file', 'POST', '/import', { url: 'file:///etc/passwd' }, 400, 'INVALID_URL'),
    importly(
      'storagePath with ..',
      'POST',
      '/import',
      { url: URL_OK, storagePath: '../x' },
      400,
      'INVALID_KEY',
    ),
    importly(
      'storageFilename with /',
      'POST',
      '/import',
      { url: URL_OK, storageFilename: 'a/b' },
      400,
      'INVALID_KEY',
    ),
    importly(
      'storageFilename ..',
      'POST',
      '/import',
      { url: URL_OK, storageFilename: '..' },
      400,
      'INVALID_KEY',
    ),
    importly(
      'videoQuality 144p',
      'POST',
      '/import',
      { url: URL_OK, videoQuality: '144p' },
      400,
      'VALIDATION_FAILED',
    ),
    importly(
      'includeAudio false',
      'POST',
      '/import',
      { url: URL_OK, includeAudio: false },
      400,
      'VALIDATION_FAILED',
    ),
    importly('store string', 'POST', '/import', { url: URL_OK, store: 'yes' }, 400, 'VALIDATION_FAILED'),
    importly(
      'storageClass unknown',
      'POST',
      '/import',
      { url: URL_OK, store: true, storageClass: 'NOT_A_CLASS' },
      400,
      'INVALID_STORAGE_CLASS',
    ),
    importly(
      'storageBucket uppercase',
      'POST',
      '/import',
      { url: URL_OK, store: true, storageBucket: 'Bad_Bucket' },
      400,
      'VALIDATION_FAILED',
    ),
    importly('unknown field', 'POST', '/import', { url: URL_OK, cost: 0 }, 400, 'VALIDATION_FAILED'),
    importly('missing id', 'GET', '/import/status', undefined, 400, 'VALIDATION_FAILED'),
    importly(
      'unknown id',
      'GET',
      '/import/status?id=imp_00000000000000000000000000',
      undefined,
      404,
      'IMPORT_NOT_FOUND',
    ),
    importly('id over 64', 'GET', `/import/status?id=${LONG(65)}`, undefined, 400, 'VALIDATION_FAILED'),
    importly('id NUL', 'GET', '/import/status?id=imp_%00', undefined, 400, 'VALIDATION_FAILED'),
  ];
}

const CASES: Case[] = [
  ...importCases(),
  ...listAndIdCases(),
  ...destinationCases(),
  ...keyUserFileCases(),
  ...compatCases(),
];

describe.each(testDatabases())('bad input on $name', ({ makeUrl }) => {
  let t: TestApp;
  let s3rver: S3TestServer;
  let bucket: string;
  let userKey: string;
  let before: Record<string, unknown[]>;
  let last: Record<string, unknown[]>;

  beforeAll(async () => {
    s3rver = connectShared(inject('s3').s3rver);
    bucket = await s3rver.createBucket();
    t = await startTestApp({ databaseUrl: await makeUrl(), workers: 0 });
    userKey = await t.userKey('alice');
    const saved = await t.request('POST', '/v1/destinations', {
      key: userKey,
      body: {
        name: 'main',
        provider: 'minio',
        endpoint: s3rver.endpoint,
        region: 'us-east-1',
        bucket,
        accessKeyId: s3rver.accessKeyId,
        secretAccessKey: s3rver.secretAccessKey,
        forcePathStyle: true,
      },
    });
    expect(saved.status).toBe(201);
    before = await snapshotDatabase(t);
    last = before;
  });
  afterAll(async () => {
    await t?.close();
    await s3rver?.stop();
  });

  it(`has at least 150 cases (${CASES.length}) with unique names`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(150);
    const names = CASES.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const key = c.who === 'none' ? undefined : c.who === 'admin' ? t.adminKey : userKey;
    const req: RawRequest = {
      method: c.method,
      path: c.path,
      ...(key === undefined ? {} : { key }),
      ...(c.body === undefined ? {} : { body: c.body }),
      ...(c.headers === undefined ? {} : { headers: c.headers }),
    };
    const res = await rawRequest(t.baseUrl, req);
    expect(res.status, res.text.slice(0, 500)).toBe(c.status);
    expect(res.status).toBeLessThan(500);
    if (c.name.startsWith('Tornado')) {
      expect(typeof res.body.error, res.text).toBe('string');
    } else if (c.name.startsWith('Importly')) {
      expect(res.body.success).toBe(false);
      expect(res.body.code, res.text).toBe(c.code);
    } else {
      expect(res.body.error.code, res.text).toBe(c.code);
      expect(Object.hasOwn(ERROR_CODES, res.body.error.code)).toBe(true);
      expect(res.body.error.field, res.text).toBe(c.field);
    }
    // Nothing leaks: no stack traces, no SQL, no file-system paths.
    expect(res.text).not.toMatch(/\bat \S+:\d+:\d+|SQLITE_|syntax error at|node_modules|\/tmp\//);
    // Compared with the state after the previous case, so a write is blamed on the case that made it.
    const after = await snapshotDatabase(t);
    const previous = last;
    last = after;
    expect(after).toEqual(previous);
  });

  it('changed no row over the whole suite', async () => {
    expect(await snapshotDatabase(t)).toEqual(before);
  });

  it('wrote no object: managed storage and the destination bucket are empty', async () => {
    expect(listFiles(`${t.dataDir}/objects`)).toEqual([]);
    expect(await s3rver.listObjects(bucket)).toEqual([]);
  });
});
