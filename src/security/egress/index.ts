/**
 * The egress policy and everything that enforces it. Every outbound connection bucketload makes goes
 * through one of: `createEgressDispatcher` (undici), `createEgressHttpAgents` (node:http/https, the
 * AWS SDK), `guardedFetch` (source downloads with re-checked redirects) or `startEgressProxy`
 * (yt-dlp, ffmpeg). All of them check the address actually connected to.
 */
export {
  CLOUD_METADATA_ADDRESSES,
  classifyAddress,
  type AddressClass,
  type IPv4Embedding,
} from './egress-address.js';
export { parseEgressAllow, type EgressAllowRule, type ParsedEgressAllow } from './egress-allow.js';
export { guardConnectTarget, type GuardedConnectTarget } from './egress-connect.js';
export {
  createEgressDispatcher,
  createEgressHttpAgents,
  isEgressDispatcher,
  type EgressDispatcherOptions,
  type EgressHttpAgentOptions,
  type EgressHttpAgents,
} from './egress-dispatcher.js';
export { createGuardedLookup, type GuardedLookupOptions, type HostResolver } from './egress-lookup.js';
export { createEgressPolicy, type EgressPolicy } from './egress-policy.js';
export { startEgressProxy, type EgressProxy, type EgressProxyOptions } from './egress-proxy.js';
export { MAX_URL_LENGTH, parseOutboundUrl } from './egress-url.js';
export {
  guardedFetch,
  toSourceError,
  type GuardedFetchInit,
  type GuardedFetchResult,
  type GuardedResponse,
} from './guarded-fetch.js';
