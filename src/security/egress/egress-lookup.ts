import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { toError } from '../../core/errors.js';
import type { EgressPolicy } from './egress-policy.js';

/** Resolves a host name to all its addresses. `dns.lookup` (getaddrinfo, /etc/hosts) by default. */
export type HostResolver = (
  hostname: string,
  options: { readonly family: 0 | 4 | 6; readonly hints?: number },
) => Promise<readonly LookupAddress[]>;

export interface GuardedLookupOptions {
  /**
   * The port the connection will use. `dns.lookup` is never told the port, so the caller binds it
   * here; without it, rules with a port (`host:port`, `ip:port`) cannot match.
   */
  readonly port?: number;
  /** Replaces DNS, for tests that need a name to resolve to chosen addresses. */
  readonly resolveHost?: HostResolver;
}

const systemResolver: HostResolver = (hostname, options) =>
  dns.lookup(hostname, {
    all: true,
    family: options.family,
    ...(options.hints === undefined ? {} : { hints: options.hints }),
  });

/**
 * A `dns.lookup`-compatible function for `net.connect`, `tls.connect`, undici's connector and
 * `http.Agent`: it resolves every address of the name, checks each against the policy, and hands the
 * socket exactly the addresses it checked. The socket connects to what was checked — no second
 * resolution happens — so DNS rebinding between a check and the connect is impossible.
 *
 * If ANY resolved address is refused, the whole lookup fails with EGRESS_DENIED, rather than
 * connecting to the allowed ones only. A name answering with public and internal addresses at once
 * is the signature of a rebinding attack (or a split-horizon misconfiguration); filtering would make
 * the outcome depend on answer order and happy-eyeballs timing, and would hide the problem. Failing
 * closed makes it visible and repeatable.
 *
 * IP literals skip DNS. (`net.connect` does not even call the lookup for them; the connect guard in
 * `egress-connect.ts` checks those.)
 */
export function createGuardedLookup(
  policy: EgressPolicy,
  options: GuardedLookupOptions = {},
): LookupFunction {
  const resolve = options.resolveHost ?? systemResolver;
  const port = options.port ?? 0;
  return (hostname: string, lookupOptions: LookupOptions, callback) => {
    const name = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    const literal = isIP(name);
    const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
    const pending: Promise<readonly LookupAddress[]> =
      literal !== 0
        ? Promise.resolve([{ address: name, family: literal }])
        : isLocalhostName(name)
          ? Promise.resolve([
              family === 6 ? { address: '::1', family: 6 } : { address: '127.0.0.1', family: 4 },
            ])
          : resolve(name, {
              family,
              ...(lookupOptions.hints === undefined ? {} : { hints: lookupOptions.hints }),
            });
    pending.then(
      (addresses) => {
        let checked: LookupAddress[];
        try {
          checked = checkAll(policy, name, port, addresses);
        } catch (error) {
          process.nextTick(callback, toError(error), '', 0);
          return;
        }
        const first = checked[0] as LookupAddress;
        if (lookupOptions.all === true) process.nextTick(callback, null, checked);
        else process.nextTick(callback, null, first.address, first.family);
      },
      (error: unknown) => process.nextTick(callback, toError(error) as NodeJS.ErrnoException, '', 0),
    );
  };
}

/**
 * `localhost`, `localhost.` and `*.localhost` are loopback by definition (RFC 6761 §6.3), whatever
 * DNS or /etc/hosts say — some resolvers do not know `localhost.` or `app.localhost`, which would turn
 * a refusal into a vague "not found". Answered here, without DNS, as IPv4 loopback (IPv6 when only
 * IPv6 is asked for), and then judged by the policy like any other answer.
 */
function isLocalhostName(name: string): boolean {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return lower === 'localhost' || lower.endsWith('.localhost');
}

function checkAll(policy: EgressPolicy, hostname: string, port: number, addresses: readonly LookupAddress[]) {
  if (addresses.length === 0) {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  }
  for (const { address } of addresses) policy.checkAddress(address, port, hostname);
  return addresses.map((a) => ({ address: a.address, family: a.family }));
}
