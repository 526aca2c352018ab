/**
 * The IANA special-purpose address registries, as data: every block of the IPv4 and the IPv6
 * Special-Purpose Address Registry (iana-ipv4-special-registry, iana-ipv6-special-registry, as
 * of 2025), plus the two blocks of the address-space registries no web server has an address
 * in (IPv4 multicast, IPv6 multicast). The outbound `http` action refuses every one of them,
 * whatever the registry says about global reachability: AS112 sinks, TURN anycast or AMT relays
 * are not webhook receivers either. To follow a registry update, edit these lists only.
 */

/** [network, prefix length, the registry's name for the block]. */
export type SpecialBlock = readonly [string, number, string];

export const IPV4_SPECIAL: readonly SpecialBlock[] = [
  ['0.0.0.0', 8, '"this network"'],
  ['0.0.0.0', 32, '"this host on this network"'],
  ['10.0.0.0', 8, 'private-use'],
  ['100.64.0.0', 10, 'shared address space (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private-use'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.0.0', 29, 'IPv4 service continuity prefix'],
  ['192.0.0.8', 32, 'IPv4 dummy address'],
  ['192.0.0.9', 32, 'port control protocol anycast'],
  ['192.0.0.10', 32, 'TURN anycast'],
  ['192.0.0.170', 32, 'NAT64/DNS64 discovery'],
  ['192.0.0.171', 32, 'NAT64/DNS64 discovery'],
  ['192.0.2.0', 24, 'documentation (TEST-NET-1)'],
  ['192.31.196.0', 24, 'AS112-v4'],
  ['192.52.193.0', 24, 'AMT'],
  ['192.88.99.0', 24, 'deprecated 6to4 relay anycast'],
  ['192.168.0.0', 16, 'private-use'],
  ['192.175.48.0', 24, 'direct delegation AS112 service'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation (TEST-NET-2)'],
  ['203.0.113.0', 24, 'documentation (TEST-NET-3)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
  ['255.255.255.255', 32, 'limited broadcast'],
];

export const IPV6_SPECIAL: readonly SpecialBlock[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'IPv4-IPv6 translation (NAT64)'],
  ['64:ff9b:1::', 48, 'local-use IPv4-IPv6 translation'],
  ['100::', 64, 'discard-only'],
  ['100:0:0:1::', 64, 'dummy IPv6 prefix'],
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001::', 32, 'Teredo'],
  ['2001:1::1', 128, 'port control protocol anycast'],
  ['2001:1::2', 128, 'TURN anycast'],
  ['2001:1::3', 128, 'DNS-SD service registration protocol anycast'],
  ['2001:2::', 48, 'benchmarking'],
  ['2001:3::', 32, 'AMT'],
  ['2001:4:112::', 48, 'AS112-v6'],
  ['2001:10::', 28, 'deprecated ORCHID'],
  ['2001:20::', 28, 'ORCHIDv2'],
  ['2001:30::', 28, 'drone remote ID entity tags'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['2620:4f:8000::', 48, 'direct delegation AS112 service'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing (SRv6) SIDs'],
  ['fc00::', 7, 'unique-local (private)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];
