/**
 * Whether an `http` action's URL may be called, decided before any socket is opened. The URL is
 * parsed the WHATWG way, which turns decimal, octal, hex, short and percent-encoded IPv4 forms
 * into dotted quads, so the checks below see the address a connection would really use.
 */
import { isIP } from 'node:net';
import { refusedAddressReason } from './address-policy.ts';

/** Names that point at the machine itself or at a cloud metadata service whatever DNS says. */
const REFUSED_NAMES = [/^localhost$/, /\.localhost$/, /^metadata\.google\.internal$/, /^metadata$/];

export type TargetCheck =
  { ok: true; url: URL; hostname: string; isAddress: boolean } | { ok: false; reason: string };

/**
 * @param allowedHosts host names (`hooks.example.com`) or suffix patterns (`*.example.com`),
 *   compared case-insensitively without trailing dots.
 * @param trustedAddresses exact addresses exempt from the address check (a deliberate
 *   on-premises target, or a test listener); empty by default.
 */
export function checkTarget(
  rawUrl: string,
  allowedHosts: readonly string[],
  trustedAddresses: ReadonlySet<string> = new Set(),
): TargetCheck {
  if (!URL.canParse(rawUrl)) return { ok: false, reason: 'not a URL' };
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `scheme ${url.protocol} is not http or https` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'URLs with user info are refused' };
  }
  const hostname = canonicalHost(url.hostname);
  if (hostname === '') return { ok: false, reason: 'no host' };
  if (!hostAllowed(hostname, allowedHosts)) {
    return { ok: false, reason: `host ${hostname} is not in http.allowedHosts` };
  }
  const isAddress = isIP(hostname) !== 0;
  if (isAddress && !trustedAddresses.has(hostname)) {
    const why = refusedAddressReason(hostname);
    if (why !== undefined) return { ok: false, reason: `address ${hostname} is ${why}` };
  }
  if (!isAddress && REFUSED_NAMES.some((pattern) => pattern.test(hostname))) {
    return { ok: false, reason: `host ${hostname} is a local or metadata name` };
  }
  return { ok: true, url, hostname, isAddress };
}

/** Lower case, IPv6 brackets and trailing dots removed: `Example.COM.` is `example.com`. */
export function canonicalHost(hostname: string): string {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare.toLowerCase().replace(/\.+$/, '');
}

function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    const pattern = canonicalHost(entry.trim());
    if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1)) && hostname !== pattern.slice(2);
    return hostname === pattern;
  });
}
