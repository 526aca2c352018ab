/** The three token endpoints, answering in their own `{data, error}` envelope. */
import { optInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { REFRESH_TTL_S, TOKEN_TTL_S } from '../http/tokens.ts';

function pluginToken(ctx: Ctx) {
  const pluginId = reqString(ctx.body, 'plugin_id');
  const secret = reqString(ctx.body, 'plugin_secret');
  const type = optInt(ctx.body, 'type') ?? 0;
  if (type !== 0 && type !== 1) throw fail(20006, 'type must be 0 or 1');
  const { plugin } = ctx.tenant.data;
  if (pluginId !== plugin.plugin_id || secret !== plugin.plugin_secret) {
    throw fail(20006, 'plugin_id or plugin_secret is wrong');
  }
  const info = ctx.core.tokens.pluginToken(type === 0 ? 'plugin' : 'virtual', ctx.now);
  return { data: { token: info.token, expire_time: Math.round((info.expiresAt - ctx.now) / 1000) } };
}

function userPluginToken(ctx: Ctx) {
  const code = reqString(ctx.body, 'code');
  if (reqString(ctx.body, 'grant_type') !== 'authorization_code')
    throw fail(20006, 'grant_type must be authorization_code');
  const issued = ctx.core.tokens.redeemCode(code, ctx.now);
  if (!issued) throw fail(10210);
  return {
    data: {
      token: issued.info.token,
      expire_time: TOKEN_TTL_S,
      refresh_token: issued.refreshToken,
      refresh_token_expire_time: REFRESH_TTL_S,
      saas_tenant_key: 'sim-tenant',
      user_key: issued.info.userKey,
    },
  };
}

function refreshToken(ctx: Ctx) {
  const refresh = reqString(ctx.body, 'refresh_token');
  if (ctx.body.type !== 1 && ctx.body.type !== '1') throw fail(20006, 'type must be 1');
  const issued = ctx.core.tokens.redeemRefresh(refresh, ctx.now);
  if (!issued) throw fail(20006, 'refresh_token is invalid or expired');
  return {
    data: {
      token: issued.info.token,
      expire_time: TOKEN_TTL_S,
      refresh_token: issued.refreshToken,
      refresh_token_expire_time: REFRESH_TTL_S,
    },
  };
}

export const authRoutes: RouteDef[] = [
  {
    id: 'auth.pluginToken',
    method: 'POST',
    path: '/open_api/authen/plugin_token',
    auth: 'none',
    envelope: 'token',
    handle: pluginToken,
  },
  {
    id: 'auth.userPluginToken',
    method: 'POST',
    path: '/open_api/authen/user_plugin_token',
    auth: 'token',
    envelope: 'token',
    handle: userPluginToken,
  },
  {
    id: 'auth.refreshToken',
    method: 'POST',
    path: '/open_api/authen/refresh_token',
    auth: 'token',
    envelope: 'token',
    handle: refreshToken,
  },
];
