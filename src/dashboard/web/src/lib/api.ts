import { createBucketloadClient, isApiError } from '../../../../client/index.js';
import { readKey } from './session.js';

/**
 * The dashboard's one way to the API: the typed client generated from the OpenAPI description, so
 * the dashboard can only call documented routes with documented bodies. The key is read from
 * session storage for every request and sent as `Authorization: Bearer`, never in a URL.
 */
export const api = createBucketloadClient({ baseUrl: window.location.origin, apiKey: readKey });

/** An API error (`{ error: { code, message, hint? } }`) or a network failure, as one type. */
export class Problem extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string | undefined,
    readonly status: number,
    readonly field?: string | undefined,
  ) {
    super(message);
    this.name = 'Problem';
  }
}

type Unauthorized = (problem: Problem) => void;
let unauthorized: Unauthorized = () => {};
/** Called when any answer is 401 (the key was revoked, or is no longer valid). */
export function onUnauthorized(handler: Unauthorized): void {
  unauthorized = handler;
}

export function toProblem(body: unknown, status: number): Problem {
  if (isApiError(body))
    return new Problem(body.error.code, body.error.message, body.error.hint, status, body.error.field);
  return new Problem('HTTP_' + String(status), `The server answered ${status}.`, undefined, status);
}

/** Awaits a typed-client call: its data, or a thrown Problem (401s also sign out). */
export async function call<R extends { data?: unknown; error?: unknown; response: Response }>(
  request: Promise<R>,
): Promise<Exclude<R['data'], undefined>> {
  let result: R;
  try {
    result = await request;
  } catch {
    throw new Problem(
      'NETWORK',
      'The server could not be reached.',
      'Check that bucketload is running and reload the page.',
      0,
      undefined,
    );
  }
  if (!result.response.ok) {
    const problem = toProblem(result.error, result.response.status);
    if (result.response.status === 401) unauthorized(problem);
    throw problem;
  }
  return result.data as Exclude<R['data'], undefined>;
}

export function asProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  return new Problem('CLIENT', error instanceof Error ? error.message : String(error), undefined, 0);
}
