/**
 * Which IP addresses an outbound `http` action may connect to: public unicast only. Every block
 * of the IANA special-purpose registries is refused (the data: special-addresses.ts), and so is
 * any IPv6 address outside global unicast (2000::/3). Two IPv6 forms carry an IPv4 address the
 * packet really goes to, IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): those are
 * judged by the IPv4 address inside.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { IPV4_SPECIAL, IPV6_SPECIAL, type SpecialBlock } from './special-addresses.ts';

interface Block {
  list: BlockList;
  prefix: number;
  name: string;
}

function blocks(entries: readonly SpecialBlock[], family: 'ipv4' | 'ipv6'): Block[] {
  return entries
    .map(([network, prefix, name]) => {
      const list = new BlockList();
      list.addSubnet(network, prefix, family);
      return { list, prefix, name };
    })
    .sort((a, b) => b.prefix - a.prefix); // most specific first: its name is the reason given
}

const V4 = blocks(IPV4_SPECIAL, 'ipv4');
const V6 = blocks(IPV6_SPECIAL, 'ipv6');
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');

/** Why an address may not be connected to, or undefined when it is a public unicast address. */
export function refusedAddressReason(address: string): string | undefined {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(ip)) return special(V4, ip, 'ipv4');
  if (!isIPv6(ip)) return 'not an IP address';
  if (ip.includes('%')) return 'scoped IPv6 address';
  const embedded = embeddedIpv4(ipv6Words(ip));
  if (embedded !== undefined) {
    const inner = refusedAddressReason(embedded.address);
    return inner === undefined ? undefined : `${embedded.kind} form of a ${inner} address`;
  }
  const reason = special(V6, ip, 'ipv6');
  if (reason !== undefined) return reason;
  return GLOBAL_UNICAST.check(ip, 'ipv6') ? undefined : 'not global unicast (outside 2000::/3)';
}

function special(list: readonly Block[], ip: string, family: 'ipv4' | 'ipv6'): string | undefined {
  const block = list.find((b) => b.list.check(ip, family));
  return block === undefined ? undefined : `${block.name} (IANA special-purpose)`;
}

/** IPv6 forms whose last 32 bits are the IPv4 address the packet really goes to. */
function embeddedIpv4(words: number[]): { kind: string; address: string } | undefined {
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const tail = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const [w0, w1, , , , w5, w6 = 0, w7 = 0] = words;
  if (zeros(0, 5) && w5 === 0xffff) return { kind: 'IPv4-mapped', address: tail(w6, w7) };
  if (w0 === 0x64 && w1 === 0xff9b && zeros(2, 6)) return { kind: 'NAT64', address: tail(w6, w7) };
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
