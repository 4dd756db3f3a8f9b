// Pure logic: parsing BUCKETLOAD_EGRESS_ALLOW. No network.
import { describe, expect, it } from 'vitest';
import { parseEgressAllow } from '../../../src/security/egress/index.js';

describe('parseEgressAllow (pure logic)', () => {
  it('accepts nothing as no rules', () => {
    expect(parseEgressAllow(undefined)).toEqual({ rules: [], errors: [] });
    expect(parseEgressAllow('')).toEqual({ rules: [], errors: [] });
    expect(parseEgressAllow(' , ,')).toEqual({ rules: [], errors: [] });
  });

  it.each([
    ['127.0.0.0/8', { kind: 'cidr', cidr: '127.0.0.0/8' }],
    ['0.0.0.0/0', { kind: 'cidr', cidr: '0.0.0.0/0' }],
    ['fd00::/8', { kind: 'cidr', cidr: 'fd00::/8' }],
    ['FE80:0:0::/10', { kind: 'cidr', cidr: 'fe80::/10' }],
    ['127.0.0.1', { kind: 'cidr', cidr: '127.0.0.1/32' }],
    ['::1', { kind: 'cidr', cidr: '::1/128' }],
    ['[::1]', { kind: 'cidr', cidr: '::1/128' }],
    ['127.0.0.1:9000', { kind: 'cidr', cidr: '127.0.0.1/32', port: 9000 }],
    ['[::1]:9000', { kind: 'cidr', cidr: '::1/128', port: 9000 }],
    ['[::ffff:127.0.0.1]:9000', { kind: 'cidr', cidr: '::ffff:7f00:1/128', port: 9000 }],
    ['127.1:9000', { kind: 'cidr', cidr: '127.0.0.1/32', port: 9000 }],
    ['0x7f.1', { kind: 'cidr', cidr: '127.0.0.1/32' }],
    ['minio.internal:9000', { kind: 'host', host: 'minio.internal', port: 9000 }],
    ['MinIO.Internal.:443', { kind: 'host', host: 'minio.internal', port: 443 }],
    ['localhost:65535', { kind: 'host', host: 'localhost', port: 65535 }],
    ['s3_store:1', { kind: 'host', host: 's3_store', port: 1 }],
  ])('accepts %s', (entry, expected) => {
    const { rules, errors } = parseEgressAllow(entry);
    expect(errors).toEqual([]);
    expect(rules).toEqual([{ ...expected, source: entry }]);
  });

  it('parses a list, trimming spaces', () => {
    const { rules, errors } = parseEgressAllow(' 127.0.0.0/8 , minio:9000,[::1]:80 ,');
    expect(errors).toEqual([]);
    expect(rules.map((r) => r.kind)).toEqual(['cidr', 'host', 'cidr']);
  });

  it.each([
    ['127.0.0.1/33', 'prefix length must be 0-32'],
    ['fd00::/129', 'prefix length must be 0-128'],
    ['127.0.0.1/x', 'prefix length'],
    ['127.0.0.1/8', 'host bits are set; did you mean 127.0.0.0/8?'],
    ['fd00::1/8', 'did you mean fd00::/8?'],
    ['localhost/8', 'dotted-quad IPv4 or an IPv6'],
    ['minio.internal', 'a host name needs a port: write minio.internal:PORT'],
    ['minio.internal:0', 'port must be a number 1-65535'],
    ['minio.internal:65536', 'port must be a number 1-65535'],
    ['minio.internal:', 'port must be a number 1-65535'],
    ['minio.internal:http', 'port must be a number 1-65535'],
    ['127.0.0.1:abc', 'port must be a number 1-65535'],
    ['[::1]:99999', 'port must be a number 1-65535'],
    ['http://minio.internal:9000', 'not a URL'],
    ['*.example.com:443', 'wildcards are not supported'],
    ['[fe80::1%eth0]:80', 'zone ids are not supported'],
    ['[::1', 'expected [IPv6] or [IPv6]:port'],
    ['[127.0.0.1]:80', 'expected [IPv6] or [IPv6]:port'],
    ['fd00::zz', 'not a valid IPv6 address'],
    ['bad!host:80', 'not a valid'],
    [':9000', 'not a valid IP address, CIDR or host name'],
    ['a b:80', 'contains whitespace'],
  ])('reports %s', (entry, message) => {
    const { rules, errors } = parseEgressAllow(entry);
    expect(rules).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`BUCKETLOAD_EGRESS_ALLOW entry 1 "${entry}"`);
    expect(errors[0]).toContain(message);
  });

  it('reports every bad entry at once, with its position, and keeps the good ones', () => {
    const { rules, errors } = parseEgressAllow('127.0.0.0/8,nope,::1,minio:0,,[::1]:x');
    expect(rules.map((r) => r.source)).toEqual(['127.0.0.0/8', '::1']);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^BUCKETLOAD_EGRESS_ALLOW entry 2 "nope": /);
    expect(errors[1]).toMatch(/^BUCKETLOAD_EGRESS_ALLOW entry 4 "minio:0": /);
    expect(errors[2]).toMatch(/^BUCKETLOAD_EGRESS_ALLOW entry 6 "\[::1\]:x": /);
  });

  it('never echoes an entry that may hold a password', () => {
    const { errors } = parseEgressAllow('admin:hunter2@minio:9000');
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('hunter2');
    expect(errors[0]).toContain('user names and passwords are not allowed');
  });
});
