import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../core/errors.js';
import { normalizeHostname, type EgressAllowRule } from './egress-allow.js';
import { classifyAddress, parseIp, type AddressClass } from './egress-address.js';

/**
 * The egress policy: the one place that decides whether bucketload may open a connection to an
 * address. Every outbound path (source fetches, the user's S3 endpoint, webhooks, the proxy for
 * yt-dlp and ffmpeg) asks it at connect time, with the address the socket is about to use.
 *
 * Refused unless allow-listed: everything ipaddr.js does not call `unicast` (loopback, private,
 * link-local, unique-local, unspecified, broadcast, CGNAT, reserved, multicast, …), cloud metadata
 * addresses, and IPv6 forms that embed a non-public IPv4 address.
 */
export interface EgressPolicy {
  /**
   * Throws `AppError('EGRESS_DENIED')` unless a connection to `address`:`port` is allowed.
   * `hostname` is the host as written in the URL: `host:port` rules match it, and the error names it
   * (never the resolved address of a name, which would leak internal DNS).
   */
  checkAddress(address: string, port: number, hostname?: string): void;
  isAllowed(address: string, port: number, hostname?: string): boolean;
  readonly rules: readonly EgressAllowRule[];
}

interface CompiledCidr {
  readonly rule: EgressAllowRule;
  readonly network: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
  readonly exact: boolean;
  readonly port: number | undefined;
}

interface Decision {
  readonly allowed: boolean;
  readonly cls: AddressClass;
}

export function createEgressPolicy(rules: readonly EgressAllowRule[]): EgressPolicy {
  const frozen = Object.freeze([...rules]);
  const cidrs: CompiledCidr[] = [];
  const hosts: { host: string; port: number }[] = [];
  for (const rule of frozen) {
    if (rule.kind === 'host') {
      hosts.push({ host: normalizeHostname(rule.host), port: rule.port });
      continue;
    }
    const slash = rule.cidr.lastIndexOf('/');
    const network = parseIp(slash < 0 ? rule.cidr : rule.cidr.slice(0, slash));
    const max = network?.kind() === 'ipv4' ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : rule.cidr.slice(slash + 1);
    const prefix = Number(prefixText);
    if (network === undefined || !/^\d{1,3}$/.test(prefixText) || prefix > max) {
      throw new Error(`invalid egress allow rule ${rule.source}: use parseEgressAllow`);
    }
    cidrs.push({
      rule,
      network,
      prefix,
      exact: prefix === max,
      port: rule.port,
    });
  }

  function decide(address: string, port: number, hostname: string | undefined): Decision {
    const cls = classifyAddress(address);
    if (cls.range === 'invalid') return { allowed: false, cls };
    // Metadata endpoints pass only a rule naming the exact address, never a broad CIDR or a host rule.
    const metadata = cls.range === 'metadata';
    if (hostname !== undefined && !metadata) {
      const name = normalizeHostname(hostname);
      if (hosts.some((h) => h.host === name && h.port === port)) return { allowed: true, cls };
    }
    const candidates = matchCandidates(cls.address);
    for (const c of cidrs) {
      if (c.port !== undefined && c.port !== port) continue;
      if (metadata && !c.exact) continue;
      if (candidates.some((ip) => ip.kind() === c.network.kind() && ip.match(c.network, c.prefix))) {
        return { allowed: true, cls };
      }
    }
    return { allowed: cls.isPublic, cls };
  }

  return {
    rules: frozen,
    isAllowed: (address, port, hostname) => decide(address, port, hostname).allowed,
    checkAddress(address, port, hostname) {
      const { allowed, cls } = decide(address, port, hostname);
      if (!allowed) throw egressDenied(cls, port, hostname);
    },
  };
}

/**
 * An IPv4 address and its IPv4-mapped IPv6 form are the same socket destination, so a rule for
 * either matches both. Other embeddings (NAT64, 6to4, …) are different destinations and match only
 * IPv6 rules.
 */
function matchCandidates(address: string): (ipaddr.IPv4 | ipaddr.IPv6)[] {
  const ip = parseIp(address);
  if (ip === undefined) return [];
  if (ip.kind() === 'ipv4') return [ip, (ip as ipaddr.IPv4).toIPv4MappedAddress()];
  const v6 = ip as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? [v6, v6.toIPv4Address()] : [v6];
}

const RANGE_WORDS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local (private IPv6) address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  metadata: 'a cloud metadata address',
  reserved: 'a reserved address',
  invalid: 'not a plain IP address',
};

function egressDenied(cls: AddressClass, port: number, hostname: string | undefined): AppError {
  const host = hostname === undefined ? cls.address : normalizeHostname(hostname);
  const hostIsAddress = isIP(host) !== 0;
  const what = RANGE_WORDS[cls.range] ?? `a non-public address (${cls.range})`;
  const via = cls.embedding === undefined ? '' : ` (inside an IPv6 ${cls.embedding} address)`;
  const reason = hostIsAddress ? `it is ${what}${via}` : `the name resolves to ${what}${via}`;
  return new AppError('EGRESS_DENIED', {
    message: `Connecting to ${host} port ${port} is not allowed by the egress policy: ${reason}.`,
    details: {
      host,
      port,
      range: cls.range,
      ...(cls.embedding === undefined ? {} : { embedding: cls.embedding }),
      // The resolved address of a name stays out: it would map internal DNS for the caller.
      ...(hostIsAddress ? { address: cls.address } : {}),
    },
  });
}
