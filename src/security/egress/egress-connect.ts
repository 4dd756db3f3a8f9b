import { isIP, type LookupFunction } from 'node:net';
import { createGuardedLookup, type HostResolver } from './egress-lookup.js';
import type { EgressPolicy } from './egress-policy.js';

export interface GuardedConnectTarget {
  /** The host to pass to `net.connect` / `tls.connect`: IPv6 literals without brackets. */
  readonly host: string;
  /** Pass as the `lookup` option; `net` calls it for every host that is not an IP literal. */
  readonly lookup: LookupFunction;
}

/**
 * The one gate in front of every outbound socket. `net.connect` either takes the host as an IP
 * literal (when `net.isIP` says so) or resolves it through the `lookup` option — there is no third
 * way — so checking literals here and names in the guarded lookup covers every connection.
 * Throws `AppError('EGRESS_DENIED')` for a refused literal.
 */
export function guardConnectTarget(
  policy: EgressPolicy,
  host: string,
  port: number,
  resolveHost?: HostResolver,
): GuardedConnectTarget {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) policy.checkAddress(bare, port, bare);
  const lookup = createGuardedLookup(policy, { port, ...(resolveHost === undefined ? {} : { resolveHost }) });
  return { host: bare, lookup };
}
