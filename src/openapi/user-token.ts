/** A user access token as answered by `authen/user_plugin_token` and `authen/refresh_token`. */
import { isRecord } from './envelope.ts';

export interface UserToken {
  token: string;
  /** Epoch ms. */
  expiresAt: number;
  refreshToken: string;
  /** Epoch ms. */
  refreshExpiresAt: number;
  /** Only in the code exchange's answer. */
  userKey?: string;
  saasTenantKey?: string;
}

/** `undefined` when the answer lacks the token or its lifetimes. */
export function readUserToken(data: unknown, now: number): UserToken | undefined {
  if (!isRecord(data)) return undefined;
  const { token, expire_time, refresh_token, refresh_token_expire_time, user_key, saas_tenant_key } = data;
  if (typeof token !== 'string' || token === '' || typeof refresh_token !== 'string') return undefined;
  if (typeof expire_time !== 'number' || typeof refresh_token_expire_time !== 'number') return undefined;
  const out: UserToken = {
    token,
    expiresAt: now + expire_time * 1000,
    refreshToken: refresh_token,
    refreshExpiresAt: now + refresh_token_expire_time * 1000,
  };
  if (typeof user_key === 'string') out.userKey = user_key;
  if (typeof saas_tenant_key === 'string') out.saasTenantKey = saas_tenant_key;
  return out;
}
