import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Cloud metadata and host-agent endpoints. They hand out instance credentials, so they are refused
 * even when a broad allow rule (say `169.254.0.0/16` or `0.0.0.0/0`) covers them: only an allow rule
 * naming the exact address lets them through. Most sit in ranges refused anyway; 168.63.129.16
 * (Azure WireServer) is public unicast and would otherwise pass.
 */
export const CLOUD_METADATA_ADDRESSES: readonly string[] = Object.freeze([
  '169.254.169.254', // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack, Hetzner IMDS
  '169.254.170.2', // AWS ECS task metadata and credentials
  '169.254.170.23', // AWS EKS Pod Identity agent
  '169.254.0.23', // Tencent Cloud
  '100.100.100.200', // Alibaba Cloud
  '168.63.129.16', // Azure WireServer
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS EKS Pod Identity over IPv6
  'fd20:ce::254', // GCP metadata over IPv6
]);

/** How an IPv6 address carries an IPv4 address inside it. */
export type IPv4Embedding =
  | 'ipv4Mapped' // ::ffff:a.b.c.d: the kernel really connects to the IPv4 address
  | 'ipv4Translated' // ::ffff:0:a.b.c.d (SIIT, RFC 6145)
  | 'ipv4Compatible' // ::a.b.c.d (deprecated, RFC 4291)
  | 'nat64' // 64:ff9b::/96 (RFC 6052)
  | 'nat64LocalUse' // 64:ff9b:1::/48 (RFC 8215)
  | '6to4' // 2002::/16 (RFC 3056)
  | 'teredo'; // 2001::/32 (RFC 4380)

/** What an address is, for the egress policy. `range` is an ipaddr.js range name, or one of ours. */
export interface AddressClass {
  /** The address in canonical form (RFC 5952 for IPv6, without a zone id). */
  readonly address: string;
  readonly kind: 'ipv4' | 'ipv6';
  /**
   * `unicast` means public. Otherwise an ipaddr.js range (`loopback`, `private`, `linkLocal`,
   * `uniqueLocal`, `unspecified`, `reserved`, …), `metadata`, `ipv4Compatible`, `nat64LocalUse`,
   * or `invalid` for anything that is not a plain IP address.
   */
  readonly range: string;
  readonly isPublic: boolean;
  readonly embedding?: IPv4Embedding;
  /** The IPv4 address an IPv6 form embeds, when it embeds one. */
  readonly embeddedIPv4?: string;
}

const METADATA = new Set(CLOUD_METADATA_ADDRESSES.map((a) => parseIp(a)?.toString()));

const NAT64_LOCAL_USE = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');
const IPV4_TRANSLATED = ipaddr.IPv6.parseCIDR('::ffff:0:0:0/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');
const TEREDO = ipaddr.IPv6.parseCIDR('2001::/32');

/**
 * Classifies one IP address (dotted-quad IPv4 or IPv6, optionally in brackets or with a zone id).
 * Anything `net.isIP` does not accept — octal, hex, short IPv4 forms, host names — is `invalid` and
 * therefore refused: those spellings must be resolved (WHATWG URL parsing, DNS) before they get here,
 * so the policy always judges the address the socket will actually use.
 */
export function classifyAddress(input: string): AddressClass {
  const parsed = parseIp(input);
  if (parsed === undefined) {
    return { address: input, kind: input.includes(':') ? 'ipv6' : 'ipv4', range: 'invalid', isPublic: false };
  }
  if (parsed.kind() === 'ipv4') return classifyIPv4(parsed as ipaddr.IPv4);
  return classifyIPv6(parsed as ipaddr.IPv6);
}

/**
 * Parses a plain IP address (as `net.isIP` accepts it; brackets and an IPv6 zone id are dropped), or
 * returns undefined. IPv6 goes through the WHATWG serialiser first: ipaddr.js 2 parses a dotted tail
 * like `::127.0.0.1` as `::ffff:127.0.0.1`, a different address from the one the socket would use.
 */
export function parseIp(input: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const address = bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare;
  const family = isIP(address);
  if (family === 4) return ipaddr.IPv4.parse(address);
  if (family !== 6) return undefined;
  const serialised = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return ipaddr.IPv6.parse(serialised);
}

function classifyIPv4(ip: ipaddr.IPv4): AddressClass {
  const address = ip.toString();
  if (METADATA.has(address)) return { address, kind: 'ipv4', range: 'metadata', isPublic: false };
  const range = ip.range();
  return { address, kind: 'ipv4', range, isPublic: range === 'unicast' };
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function classifyIPv6(ip: ipaddr.IPv6): AddressClass {
  const address = ip.toRFC5952String();
  const p = ip.parts;
  const part = (i: number): number => p[i] ?? 0;
  const last32 = ipv4FromParts(part(6), part(7));

  if (METADATA.has(ip.toString())) return { address, kind: 'ipv6', range: 'metadata', isPublic: false };
  if (ip.isIPv4MappedAddress()) return viaEmbedded(address, 'ipv4Mapped', [last32]);
  if (ip.match(IPV4_TRANSLATED)) return viaEmbedded(address, 'ipv4Translated', [last32]);
  if (ip.match(NAT64_WELL_KNOWN)) return viaEmbedded(address, 'nat64', [last32]);
  // RFC 8215 lets each network pick where in the /48 the IPv4 address sits, so the embedded address
  // cannot be known: refuse the prefix, but name the /96-layout address when it is a non-public one.
  if (ip.match(NAT64_LOCAL_USE)) return viaEmbedded(address, 'nat64LocalUse', [last32], 'nat64LocalUse');
  if (ip.match(SIX_TO_FOUR)) return viaEmbedded(address, '6to4', [ipv4FromParts(part(1), part(2))]);
  if (ip.match(TEREDO)) {
    // Teredo: the server's IPv4 in bits 32-63, the client's IPv4 bit-inverted in bits 96-127.
    const server = ipv4FromParts(part(2), part(3));
    const client = ipv4FromParts(~part(6) & 0xffff, ~part(7) & 0xffff);
    return viaEmbedded(address, 'teredo', [client, server]);
  }
  // ::a.b.c.d (IPv4-compatible, deprecated since 2006): nothing legitimate uses it, so it is refused
  // even when the IPv4 address is public; `::` and `::1` are the unspecified and loopback addresses.
  if (p.slice(0, 6).every((x) => x === 0) && !(part(6) === 0 && part(7) <= 1)) {
    return viaEmbedded(address, 'ipv4Compatible', [last32], 'ipv4Compatible');
  }
  const range = ip.range();
  return { address, kind: 'ipv6', range, isPublic: range === 'unicast' };
}

/**
 * An embedding form takes the class of the first non-public IPv4 address it embeds; when all are
 * public it is public, unless `refuseAnyway` names a range that is never public in itself.
 */
function viaEmbedded(
  address: string,
  embedding: IPv4Embedding,
  embedded: readonly ipaddr.IPv4[],
  refuseAnyway?: string,
): AddressClass {
  const classes = embedded.map(classifyIPv4);
  const refused = classes.find((c) => !c.isPublic);
  if (refused !== undefined) {
    return {
      address,
      kind: 'ipv6',
      range: refused.range,
      isPublic: false,
      embedding,
      embeddedIPv4: refused.address,
    };
  }
  const embeddedIPv4 = classes[0]?.address ?? '';
  if (refuseAnyway !== undefined) {
    return { address, kind: 'ipv6', range: refuseAnyway, isPublic: false, embedding, embeddedIPv4 };
  }
  return { address, kind: 'ipv6', range: 'unicast', isPublic: true, embedding, embeddedIPv4 };
}
