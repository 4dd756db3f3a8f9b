import type { Dispatcher } from 'undici';
import { guardedFetch, type EgressPolicy } from '../../security/egress/index.js';
import type { FetchedResponse, HttpFetcher } from '../http-fetcher.js';

/** The production HttpFetcher: every hop re-checked, every connection checked on its address. */
export function createEgressHttpFetcher(policy: EgressPolicy, dispatcher: Dispatcher): HttpFetcher {
  return {
    async fetch(url, init): Promise<FetchedResponse> {
      const { response, finalUrl } = await guardedFetch(url, {
        policy,
        dispatcher,
        signal: init.signal,
        headers: { 'user-agent': 'bucketload/0.1', ...init.headers },
      });
      return {
        status: response.status,
        header(name) {
          const value = response.headers[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
        body: response.body,
        finalUrl,
      };
    },
  };
}
