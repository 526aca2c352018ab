/**
 * Which IP addresses an outbound `http` action may connect to: public unicast only. Loopback,
 * private, link-local (and so the cloud metadata address), CGNAT, multicast, unspecified,
 * reserved and documentation ranges are refused, as are IPv6 forms that carry an IPv4 address
 * (mapped, compatible, NAT64, 6to4) when the address inside is refused.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const IPV4_REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV6_REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function buildList(
  entries: ReadonlyArray<readonly [string, number, string]>,
  family: 'ipv4' | 'ipv6',
): Array<{ list: BlockList; reason: string }> {
  return entries.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, reason };
  });
}

const V4 = buildList(IPV4_REFUSED, 'ipv4');
const V6 = buildList(IPV6_REFUSED, 'ipv6');

/** Why an address may not be connected to, or undefined when it is a public unicast address. */
export function refusedAddressReason(address: string): string | undefined {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(ip)) return V4.find((entry) => entry.list.check(ip, 'ipv4'))?.reason;
  if (!isIPv6(ip)) return 'not an IP address';
  if (ip.includes('%')) return 'scoped IPv6 address';
  const words = ipv6Words(ip);
  const embedded = embeddedIpv4(words);
  if (embedded !== undefined) {
    const inner = refusedAddressReason(embedded.address);
    return inner === undefined ? undefined : `${embedded.kind} form of a ${inner} address`;
  }
  return V6.find((entry) => entry.list.check(ip, 'ipv6'))?.reason;
}

/** IPv6 forms whose last 32 bits are an IPv4 address the packet really goes to. */
function embeddedIpv4(words: number[]): { kind: string; address: string } | undefined {
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const tail = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const [w0, w1, , , , w5, w6 = 0, w7 = 0] = words;
  if (zeros(0, 5) && w5 === 0xffff) return { kind: 'IPv4-mapped', address: tail(w6, w7) };
  if (zeros(0, 6) && (w6 !== 0 || w7 > 1)) return { kind: 'IPv4-compatible', address: tail(w6, w7) };
  if (w0 === 0x64 && w1 === 0xff9b && zeros(2, 6)) return { kind: 'NAT64', address: tail(w6, w7) };
  if (w0 === 0x2002) {
    const [, a = 0, b = 0] = words;
    return { kind: '6to4', address: tail(a, b) };
  }
  return undefined;
}

/** The eight 16-bit words of a valid IPv6 address (dotted IPv4 tails included). */
function ipv6Words(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((word) => parseInt(word, 16));
}
