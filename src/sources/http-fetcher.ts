import type { Readable } from 'node:stream';

/** One HTTP response as the sources see it: no vendor types. */
export interface FetchedResponse {
  readonly status: number;
  header(name: string): string | undefined;
  readonly body: Readable;
  /** The URL after redirects. */
  readonly finalUrl: string;
}

/**
 * The port the sources fetch through. The production implementation enforces the egress policy
 * at connect time and re-checks every redirect hop.
 */
export interface HttpFetcher {
  fetch(
    url: string,
    init: { headers?: Record<string, string>; signal: AbortSignal },
  ): Promise<FetchedResponse>;
}

/**
 * Lets go of a body we will not read. undici's body emits an AbortError when destroyed; without a
 * listener that would surface as an uncaught exception.
 */
export function discardBody(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}
