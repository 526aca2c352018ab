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
  for (const token of configured) matched = timingSafeEqual(digest, sha256(token)) || matched;
  return matched;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
