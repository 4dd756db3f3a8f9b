// Pure logic: classifying addresses. Non-loopback IPv4 addresses come only from library constants
// (ipaddr.js's own range table, CLOUD_METADATA_ADDRESSES) and are never connected to.
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { CLOUD_METADATA_ADDRESSES, classifyAddress } from '../../../src/security/egress/index.js';

type RangeTable<T> = Record<string, [T, number][]>;
const IPV4_SPECIAL = (ipaddr.IPv4.prototype as unknown as { SpecialRanges: RangeTable<ipaddr.IPv4> })
  .SpecialRanges;

/** Both ends of every non-unicast IPv4 range ipaddr.js knows, with the range's name. */
const ipv4Special: [string, string][] = Object.entries(IPV4_SPECIAL).flatMap(([name, list]) =>
  list.flatMap(([network, bits]) => [
    [name, network.toString()] as [string, string],
    [name, ipaddr.IPv4.broadcastAddressFromCIDR(`${network.toString()}/${bits}`).toString()] as [
      string,
      string,
    ],
  ]),
);

/** The first address ipaddr.js calls unicast: a public IPv4, derived rather than written down. */
const PUBLIC_V4 = (() => {
  for (let first = 1; first < 224; first += 1) {
    const ip = new ipaddr.IPv4([first, 0, 0, 1]);
    if (ip.range() === 'unicast' && !CLOUD_METADATA_ADDRESSES.includes(ip.toString())) return ip;
  }
  throw new Error('no unicast IPv4 found');
})();

const hex = (ip: ipaddr.IPv4): [string, string] => {
  const [a = 0, b = 0, c = 0, d = 0] = ip.octets;
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
};
const sixToFour = (ip: ipaddr.IPv4) => `2002:${hex(ip).join(':')}::1`;
const teredo = (server: ipaddr.IPv4, client: ipaddr.IPv4) => {
  const [ch, cl] = hex(client).map((h) => (~parseInt(h, 16) & 0xffff).toString(16));
  return `2001:0:${hex(server).join(':')}:0:0:${ch ?? ''}:${cl ?? ''}`;
};

describe('classifyAddress (pure logic)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'reserved'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'deprecatedOrchid'],
    ['2001:20::1', 'orchid2'],
    ['5f00::1', 'segmentRouting'],
  ])('refuses %s as %s', (address, range) => {
    expect(classifyAddress(address)).toMatchObject({ range, isPublic: false });
  });

  it.each([
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:7f00:1', 'ipv4Mapped'],
    ['0:0:0:0:0:ffff:7f00:0001', 'ipv4Mapped'],
    ['::ffff:0:7f00:1', 'ipv4Translated'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::7f00:1', 'ipv4Compatible'],
    ['64:ff9b::7f00:1', 'nat64'],
    ['64:ff9b::127.0.0.1', 'nat64'],
    ['64:ff9b:1::7f00:1', 'nat64LocalUse'],
    ['2002:7f00:1::', '6to4'],
    ['2002:7f00:1:ffff::1', '6to4'],
    ['2001:0:7f00:1:0:0:80ff:fffe', 'teredo'],
  ])('classifies %s by its embedded IPv4 (%s): loopback', (address, embedding) => {
    expect(classifyAddress(address)).toMatchObject({
      range: 'loopback',
      isPublic: false,
      embedding,
      embeddedIPv4: '127.0.0.1',
    });
  });

  it.each(ipv4Special)('refuses every %s IPv4 address, bare and embedded in IPv6 (%s)', (range, address) => {
    const ip = ipaddr.IPv4.parse(address);
    // Ranges overlap (the all-ones address is both broadcast and the top of a reserved range): expect the
    // range ipaddr.js itself reports for the address, and that it is the table's or a neighbour's.
    const actual = ip.range();
    expect(actual).not.toBe('unicast');
    expect(range === actual || ipv4Special.some(([name, a]) => name === actual && a === address)).toBe(true);
    expect(classifyAddress(address)).toMatchObject({ range: actual, isPublic: false });
    for (const [form, embedding] of [
      [`::ffff:${address}`, 'ipv4Mapped'],
      [`::ffff:0:${address}`, 'ipv4Translated'],
      [`64:ff9b::${address}`, 'nat64'],
      [`64:ff9b:1::${address}`, 'nat64LocalUse'],
      [sixToFour(ip), '6to4'],
      [teredo(PUBLIC_V4, ip), 'teredo'],
      [teredo(ip, PUBLIC_V4), 'teredo'],
    ] as const) {
      expect(classifyAddress(form), form).toMatchObject({
        range: actual,
        isPublic: false,
        embedding,
        embeddedIPv4: address,
      });
    }
    // ::a.b.c.d is refused whatever it embeds (`::0.0.0.0` is `::` itself).
    expect(classifyAddress(`::${address}`).isPublic).toBe(false);
  });

  it('refuses every cloud metadata address, also inside IPv4-mapped IPv6', () => {
    for (const address of CLOUD_METADATA_ADDRESSES) {
      expect(classifyAddress(address), address).toMatchObject({ range: 'metadata', isPublic: false });
      if (!address.includes(':')) {
        expect(classifyAddress(`::ffff:${address}`)).toMatchObject({
          range: 'metadata',
          embedding: 'ipv4Mapped',
        });
        expect(classifyAddress(`64:ff9b::${address}`)).toMatchObject({
          range: 'metadata',
          embedding: 'nat64',
        });
      }
    }
  });

  it('allows public addresses and IPv6 forms embedding a public IPv4', () => {
    const v4 = PUBLIC_V4.toString();
    expect(classifyAddress(v4)).toMatchObject({ range: 'unicast', isPublic: true });
    expect(classifyAddress('2606:4700:4700::1111')).toMatchObject({ range: 'unicast', isPublic: true });
    for (const form of [
      `::ffff:${v4}`,
      `::ffff:0:${v4}`,
      `64:ff9b::${v4}`,
      sixToFour(PUBLIC_V4),
      teredo(PUBLIC_V4, PUBLIC_V4),
    ]) {
      expect(classifyAddress(form), form).toMatchObject({
        range: 'unicast',
        isPublic: true,
        embeddedIPv4: v4,
      });
    }
  });

  it('refuses deprecated and local-use embeddings even of a public IPv4', () => {
    const v4 = PUBLIC_V4.toString();
    expect(classifyAddress(`::${v4}`)).toMatchObject({ range: 'ipv4Compatible', isPublic: false });
    expect(classifyAddress(`64:ff9b:1::${v4}`)).toMatchObject({ range: 'nat64LocalUse', isPublic: false });
  });

  it.each([
    '0177.0.0.1',
    '127.1',
    '0x7f000001',
    '2130706433',
    'localhost',
    '',
    '[::1',
    '1::2::3',
    '::ffff:127.1',
  ])('refuses %j as not a plain IP address (odd spellings must be resolved first)', (input) => {
    expect(classifyAddress(input)).toMatchObject({ range: 'invalid', isPublic: false });
  });
});
