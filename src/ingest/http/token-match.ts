import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time check of a presented token against the configured ones. Both sides are hashed
 * first so neither the length nor the content leaks through timing; every configured token is
 * compared, whichever matches.
 */
export function tokenMatches(presented: unknown, configured: readonly string[]): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const digest = sha256(presented);
  let matched = false;
  for (const token of digestsOf(configured)) matched = timingSafeEqual(digest, token) || matched;
  return matched;
}

/**
 * The configured tokens' digests, hashed once per list rather than once per delivery. Checked
 * against the list's current content (configured values only, nothing presented), so a list
 * changed in place is hashed again.
 */
const configuredDigests = new WeakMap<readonly string[], { tokens: string[]; digests: Buffer[] }>();

function digestsOf(configured: readonly string[]): readonly Buffer[] {
  const cached = configuredDigests.get(configured);
  if (
    cached &&
    cached.tokens.length === configured.length &&
    cached.tokens.every((token, i) => token === configured[i])
  )
    return cached.digests;
  const fresh = { tokens: [...configured], digests: configured.map((token) => sha256(token)) };
  configuredDigests.set(configured, fresh);
  return fresh.digests;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
