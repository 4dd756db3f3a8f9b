import { isIP, isIPv4, isIPv6 } from 'node:net';
import ipaddr from 'ipaddr.js';
import { parseIp } from './egress-address.js';

/**
 * One entry of `BUCKETLOAD_EGRESS_ALLOW`, a comma-separated list. Accepted forms:
 *
 * | entry                         | rule                                                         |
 * |-------------------------------|--------------------------------------------------------------|
 * | `10.0.0.0/8`, `fd00::/8`      | `cidr`, any port (host bits must be zero)                    |
 * | `10.1.2.3`, `fd00::5`         | `cidr` /32 or /128, any port                                 |
 * | `10.1.2.3:9000`, `[fd00::5]:9000` | `cidr` /32 or /128, that port only                       |
 * | `minio.internal:9000`         | `host`: that host name as written in URLs, that port, whatever it resolves to |
 *
 * A host name needs a port (an allow rule should be as narrow as the service it opens). CIDRs take no
 * port. Empty entries (a trailing comma) are ignored. URLs, user names and wildcards are errors.
 */
export type EgressAllowRule =
  | { readonly kind: 'cidr'; readonly source: string; readonly cidr: string; readonly port?: number }
  | { readonly kind: 'host'; readonly source: string; readonly host: string; readonly port: number };

export interface ParsedEgressAllow {
  readonly rules: EgressAllowRule[];
  /** One message per bad entry, all of them (configuration reports every problem at once). */
  readonly errors: string[];
}

const VARIABLE = 'BUCKETLOAD_EGRESS_ALLOW';
const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

export function parseEgressAllow(value: string | undefined): ParsedEgressAllow {
  const rules: EgressAllowRule[] = [];
  const errors: string[] = [];
  if (value === undefined) return { rules, errors };
  value.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    if (entry === '') return;
    const result = parseEntry(entry);
    if (typeof result !== 'string') {
      rules.push(result);
      return;
    }
    // An entry with `@` may hold a password: describe it without echoing it.
    const shown = entry.includes('@') ? '' : ` "${entry}"`;
    errors.push(`${VARIABLE} entry ${index + 1}${shown}: ${result}`);
  });
  return { rules, errors };
}

/** Host names compare lower-case, without a trailing dot and without IPv6 brackets. */
export function normalizeHostname(host: string): string {
  const lower = host.toLowerCase();
  const unbracketed = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

function parseEntry(entry: string): EgressAllowRule | string {
  if (entry.includes('@')) return 'user names and passwords are not allowed; give host:port';
  if (entry.includes('://')) return 'give a CIDR, an IP address or host:port, not a URL';
  if (/\s/.test(entry)) return 'contains whitespace';
  if (entry.includes('*')) return 'wildcards are not supported; give a CIDR or host:port';
  if (entry.includes('%')) return 'IPv6 zone ids are not supported';

  if (entry.startsWith('[')) {
    const match = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
    const inner = match?.[1];
    if (match === null || inner === undefined || !isIPv6(inner)) return 'expected [IPv6] or [IPv6]:port';
    return exactAddress(entry, inner, match[2]);
  }
  if (entry.includes('/')) return parseCidr(entry);

  const colons = entry.split(':').length - 1;
  if (colons >= 2) return isIPv6(entry) ? exactAddress(entry, entry, undefined) : 'not a valid IPv6 address';
  const [host = '', portText] = colons === 1 ? entry.split(':') : [entry, undefined];
  if (isIPv4(host)) return exactAddress(entry, host, portText);
  const normalized = whatwgHostname(host);
  if (normalized === undefined) return 'not a valid IP address, CIDR or host name';
  // `127.1`, `0x7f.1` and friends: URLs normalise them to dotted quads, so rules do too.
  if (isIPv4(normalized)) return exactAddress(entry, normalized, portText);
  const name = normalizeHostname(normalized);
  if (!HOSTNAME.test(name)) return 'not a valid host name';
  if (portText === undefined) return `a host name needs a port: write ${name}:PORT`;
  const port = parsePort(portText);
  if (typeof port === 'string') return port;
  return { kind: 'host', source: entry, host: name, port };
}

function exactAddress(
  source: string,
  address: string,
  portText: string | undefined,
): EgressAllowRule | string {
  const ip = parseIp(address);
  if (ip === undefined) return 'not a valid IP address';
  const cidr = ip.kind() === 'ipv4' ? `${ip.toString()}/32` : `${(ip as ipaddr.IPv6).toRFC5952String()}/128`;
  if (portText === undefined) return { kind: 'cidr', source, cidr };
  const port = parsePort(portText);
  if (typeof port === 'string') return port;
  return { kind: 'cidr', source, cidr, port };
}

function parseCidr(entry: string): EgressAllowRule | string {
  const slash = entry.lastIndexOf('/');
  const address = entry.slice(0, slash);
  const prefixText = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) return 'the CIDR address must be a dotted-quad IPv4 or an IPv6 address';
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `the prefix length must be 0-${max}`;
  const prefix = Number(prefixText);
  const ip = parseIp(address);
  if (ip === undefined) return 'the CIDR address must be a dotted-quad IPv4 or an IPv6 address';
  const given = ip.kind() === 'ipv4' ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
  const network =
    ip.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${given}/${prefix}`).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(`${given}/${prefix}`).toRFC5952String();
  if (network !== given) return `host bits are set; did you mean ${network}/${prefix}?`;
  return { kind: 'cidr', source: entry, cidr: `${network}/${prefix}` };
}

function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text)) return 'the port must be a number 1-65535';
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : 'the port must be a number 1-65535';
}

function whatwgHostname(host: string): string | undefined {
  if (host === '' || /[/?#\\[\]]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return undefined;
  }
}
