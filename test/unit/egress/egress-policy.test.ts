// Pure logic: the policy's decisions and its error. No network. Non-loopback IPv4 addresses come
// only from CLOUD_METADATA_ADDRESSES.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  CLOUD_METADATA_ADDRESSES,
  createEgressPolicy,
  parseEgressAllow,
  type EgressPolicy,
} from '../../../src/security/egress/index.js';

function policy(allow: string): EgressPolicy {
  const { rules, errors } = parseEgressAllow(allow);
  expect(errors).toEqual([]);
  return createEgressPolicy(rules);
}

function denial(p: EgressPolicy, address: string, port: number, hostname?: string): AppError {
  try {
    p.checkAddress(address, port, hostname);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`expected ${address}:${port} to be refused`);
}

const IMDS_V4 = CLOUD_METADATA_ADDRESSES[0] ?? '';

describe('egress policy (pure logic)', () => {
  it('refuses non-public addresses by default with EGRESS_DENIED naming the host', () => {
    const p = policy('');
    const error = denial(p, '127.0.0.1', 8080, '127.0.0.1');
    expect(error.code).toBe('EGRESS_DENIED');
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'Connecting to 127.0.0.1 port 8080 is not allowed by the egress policy: it is a loopback address.',
    );
    expect(error.details).toEqual({ host: '127.0.0.1', port: 8080, range: 'loopback', address: '127.0.0.1' });
    expect(p.isAllowed('::1', 80)).toBe(false);
    expect(p.isAllowed('fd00::1', 80)).toBe(false);
    expect(p.isAllowed('2606:4700:4700::1111', 443)).toBe(true);
  });

  it('names a host name but keeps the address it resolved to out of the error', () => {
    const error = denial(policy(''), 'fd00::7', 443, 'Intranet.Example.');
    expect(error.message).toBe(
      'Connecting to intranet.example port 443 is not allowed by the egress policy: the name resolves to a unique-local (private IPv6) address.',
    );
    expect(error.details).toEqual({ host: 'intranet.example', port: 443, range: 'uniqueLocal' });
  });

  it('says when the address was inside an IPv6 embedding', () => {
    const error = denial(policy(''), '64:ff9b::7f00:1', 80);
    expect(error.message).toContain('a loopback address (inside an IPv6 nat64 address)');
    expect(error.details).toMatchObject({ range: 'loopback', embedding: 'nat64' });
  });

  it('refuses anything that is not a plain IP address, whatever the rules', () => {
    const p = policy('0.0.0.0/0,::/0');
    for (const odd of ['0177.0.0.1', '127.1', '2130706433', 'localhost', '']) {
      expect(p.isAllowed(odd, 80), odd).toBe(false);
    }
  });

  it('allows a CIDR, on every port, and the IPv4-mapped form of its addresses', () => {
    const p = policy('127.0.0.0/8');
    expect(p.isAllowed('127.0.0.1', 80)).toBe(true);
    expect(p.isAllowed('127.9.9.9', 65535)).toBe(true);
    expect(p.isAllowed('::ffff:127.0.0.1', 80)).toBe(true);
    // Other embeddings are other destinations: they need an IPv6 rule.
    expect(p.isAllowed('64:ff9b::7f00:1', 80)).toBe(false);
    expect(p.isAllowed('::127.0.0.1', 80)).toBe(false);
    expect(p.isAllowed('::1', 80)).toBe(false);
    expect(p.isAllowed('0.0.0.0', 80)).toBe(false);
  });

  it('an IPv4-mapped rule covers the plain IPv4 address too', () => {
    expect(policy('::ffff:127.0.0.0/104').isAllowed('127.0.0.1', 80)).toBe(true);
  });

  it('allows ip:port and [v6]:port on that port only', () => {
    const p = policy('127.0.0.1:9000,[::1]:9001,fd00::/8');
    expect(p.isAllowed('127.0.0.1', 9000)).toBe(true);
    expect(p.isAllowed('127.0.0.1', 9001)).toBe(false);
    expect(p.isAllowed('127.0.0.2', 9000)).toBe(false);
    expect(p.isAllowed('::1', 9001)).toBe(true);
    expect(p.isAllowed('0:0:0:0:0:0:0:1', 9001)).toBe(true);
    expect(p.isAllowed('::1', 9000)).toBe(false);
    expect(p.isAllowed('fd00::ec2:1', 1)).toBe(true);
    expect(p.isAllowed('fe80::1', 1)).toBe(false);
  });

  it('allows host:port for that host name and port whatever the address, not for the bare address', () => {
    const p = policy('minio.local:9000');
    expect(p.isAllowed('fd00::9', 9000, 'minio.local')).toBe(true);
    expect(p.isAllowed('127.0.0.1', 9000, 'MINIO.local.')).toBe(true);
    expect(p.isAllowed('127.0.0.1', 9001, 'minio.local')).toBe(false);
    expect(p.isAllowed('127.0.0.1', 9000, 'other.local')).toBe(false);
    expect(p.isAllowed('127.0.0.1', 9000)).toBe(false);
  });

  it('keeps cloud metadata refused under broad rules and host rules; only the exact address allows it', () => {
    const broad = policy('0.0.0.0/0,::/0,metadata.internal:80');
    for (const address of CLOUD_METADATA_ADDRESSES) {
      expect(broad.isAllowed(address, 80), address).toBe(false);
      expect(broad.isAllowed(address, 80, 'metadata.internal'), address).toBe(false);
    }
    expect(denial(broad, IMDS_V4, 80).details).toMatchObject({ range: 'metadata' });
    const exact = policy(`${IMDS_V4}:80`);
    expect(exact.isAllowed(IMDS_V4, 80)).toBe(true);
    expect(exact.isAllowed(`::ffff:${IMDS_V4}`, 80)).toBe(true);
    expect(exact.isAllowed(IMDS_V4, 81)).toBe(false);
  });

  it('rejects rules that did not come from parseEgressAllow in a valid shape', () => {
    expect(() => createEgressPolicy([{ kind: 'cidr', source: 'x', cidr: '127.0.0.0/' }])).toThrow(
      /invalid egress allow rule/,
    );
    expect(() => createEgressPolicy([{ kind: 'cidr', source: 'x', cidr: 'nope/8' }])).toThrow(
      /invalid egress allow rule/,
    );
  });

  it('exposes its rules, frozen', () => {
    const p = policy('127.0.0.0/8');
    expect(p.rules).toHaveLength(1);
    expect(Object.isFrozen(p.rules)).toBe(true);
  });
});
