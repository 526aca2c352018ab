/**
 * Access tokens as Feishu Project issues them: plugin (`p-`) and virtual (`v-`) tokens from
 * plugin_id/secret, the same token until it expires; user tokens (`u-`) from one-time auth
 * codes, with refresh tokens. Time comes from the injected clock.
 */
import { randomUUID } from 'node:crypto';

export type TokenKind = 'plugin' | 'virtual' | 'user';

export interface TokenInfo {
  token: string;
  kind: TokenKind;
  expiresAt: number;
  /** Set on user tokens: the user the token acts as. */
  userKey?: string;
}

export const TOKEN_TTL_S = 7200;
export const REFRESH_TTL_S = 1_209_600;
const CODE_TTL_MS = 5 * 60_000;

export class TokenStore {
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly current = new Map<TokenKind, TokenInfo>();
  private readonly codes = new Map<string, { userKey: string; expiresAt: number }>();
  private readonly refresh = new Map<string, { userKey: string; expiresAt: number }>();
  private readonly ttlMs: number;

  constructor(ttlSeconds = TOKEN_TTL_S) {
    this.ttlMs = ttlSeconds * 1000;
  }

  /** The plugin's current token of this kind, or a new one once it has expired. */
  pluginToken(kind: 'plugin' | 'virtual', now: number): TokenInfo {
    const existing = this.current.get(kind);
    if (existing && existing.expiresAt > now) return existing;
    const info: TokenInfo = {
      token: `${kind === 'plugin' ? 'p' : 'v'}-${randomUUID()}`,
      kind,
      expiresAt: now + this.ttlMs,
    };
    this.current.set(kind, info);
    this.tokens.set(info.token, info);
    return info;
  }

  /** A valid token's info; `expired` or `unknown` otherwise (both answer 10022). */
  check(token: string, now: number): TokenInfo | 'expired' | 'unknown' {
    const info = this.tokens.get(token);
    if (!info) return 'unknown';
    return info.expiresAt > now ? info : 'expired';
  }

  issueCode(userKey: string, now: number): string {
    const code = randomUUID().replaceAll('-', '');
    this.codes.set(code, { userKey, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  /** Codes are single use and valid for five minutes. */
  redeemCode(code: string, now: number): { info: TokenInfo; refreshToken: string } | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAt <= now) return undefined;
    return this.userToken(entry.userKey, now);
  }

  redeemRefresh(refreshToken: string, now: number): { info: TokenInfo; refreshToken: string } | undefined {
    const entry = this.refresh.get(refreshToken);
    if (!entry || entry.expiresAt <= now) return undefined;
    this.refresh.delete(refreshToken);
    return this.userToken(entry.userKey, now);
  }

  private userToken(userKey: string, now: number): { info: TokenInfo; refreshToken: string } {
    const info: TokenInfo = {
      token: `u-${randomUUID()}`,
      kind: 'user',
      expiresAt: now + this.ttlMs,
      userKey,
    };
    this.tokens.set(info.token, info);
    const refreshToken = randomUUID();
    this.refresh.set(refreshToken, { userKey, expiresAt: now + REFRESH_TTL_S * 1000 });
    return { info, refreshToken };
  }
}

/** Tokens in logs: kind prefix and last four characters only. */
export function redactToken(token: string): string {
  if (token.length <= 8) return '****';
  return `${token.slice(0, 2)}****${token.slice(-4)}`;
}
