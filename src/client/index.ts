/**
 * The typed bucketload client: `openapi-fetch` over types generated from the API's own OpenAPI
 * description (`npm run gen:client`), so a call compiles only if the API documents it, with the
 * documented body, parameters and responses. The dashboard uses this client too.
 *
 * ```ts
 * import { createBucketloadClient } from 'bucketload/client';
 * const bl = createBucketloadClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.BUCKETLOAD_KEY! });
 * const { data, error } = await bl.POST('/v1/imports', { body: { url: 'https://example.com/video.mp4' } });
 * if (error) throw new Error(`${error.error.code}: ${error.error.message}`);
 * ```
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { paths } from './schema.js';
export type BucketloadClient = Client<paths>;

type Json<
  Path extends keyof paths,
  Method extends keyof paths[Path],
  Status extends string | number,
> = paths[Path][Method] extends {
  responses: Record<Status, { content: { 'application/json': infer Body } }>;
}
  ? Body
  : never;
type RequestJson<Path extends keyof paths, Method extends keyof paths[Path]> = paths[Path][Method] extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** The error body of every 4xx/5xx answer: a stable code, a message and, often, a hint. */
export type ApiError = Json<'/v1/imports/{id}', 'get', '4XX'>;
export type ImportView = Json<'/v1/imports/{id}', 'get', 200>;
export type ImportFile = NonNullable<ImportView['result']>['files'][number];
export type ImportStatus = ImportView['status'];
export type CreateImportBody = RequestJson<'/v1/imports', 'post'>;
export type DestinationView = Json<'/v1/destinations/{name}', 'get', 200>;
export type CreateDestinationBody = RequestJson<'/v1/destinations', 'post'>;
export type TestDestinationBody = RequestJson<'/v1/destinations/test', 'post'>;
export type VerificationReport = Json<'/v1/destinations/test', 'post', 200>;
export type ApiKeyView = Json<'/v1/keys', 'get', 200>['items'][number];
export type UserView = Json<'/v1/users', 'get', 200>['items'][number];

export interface BucketloadClientOptions extends Omit<ClientOptions, 'headers'> {
  /** The API's origin, e.g. `http://127.0.0.1:8080` (empty for the page's own origin). */
  readonly baseUrl: string;
  /** An API key (`bl_…`), sent as `Authorization: Bearer`; or a function read before each request. */
  readonly apiKey?: string | (() => string | undefined);
  readonly headers?: Record<string, string>;
}

/** A client for the bucketload API; every method and path is checked against the description. */
export function createBucketloadClient(options: BucketloadClientOptions): BucketloadClient {
  const { apiKey, headers, ...rest } = options;
  const client = createClient<paths>({ ...rest, ...(headers === undefined ? {} : { headers }) });
  if (apiKey !== undefined) {
    client.use({
      onRequest({ request }) {
        const key = typeof apiKey === 'function' ? apiKey() : apiKey;
        if (key !== undefined && !request.headers.has('authorization'))
          request.headers.set('authorization', `Bearer ${key}`);
        return request;
      },
    });
  }
  return client;
}

/** True for the `{ error: { code, message, hint? } }` body every API error has. */
export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return (
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
  );
}
