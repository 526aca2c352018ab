/**
 * The app's tenant access token and the two contact look-ups the engine uses to learn who a
 * person is: a user by open_id, union_id or user_id, and open_ids (or other ids) by e-mail.
 */
import { randomUUID } from 'node:crypto';
import type { LarkUser } from '../model/types.ts';
import { findLarkUser, larkUsers, type UserIdType } from './directory.ts';
import { larkFail, type LarkCtx, type LarkRouteDef } from './lark-http.ts';

const TTL_S = 7200;
const ID_TYPES: readonly Exclude<UserIdType, 'email'>[] = ['open_id', 'union_id', 'user_id'];

function tenantToken(ctx: LarkCtx) {
  const { app_id, app_secret } = ctx.core.tenant.data.lark;
  const b = ctx.body;
  if (typeof b.app_id !== 'string' || typeof b.app_secret !== 'string') {
    throw larkFail(10003, 'invalid param: app_id and app_secret are required');
  }
  if (b.app_id !== app_id || b.app_secret !== app_secret) throw larkFail(10014, 'app secret invalid');
  ctx.admit();
  const token = `t-${randomUUID().replaceAll('-', '')}`;
  ctx.core.larkTokens.set(token, ctx.now + TTL_S * 1000);
  return { flat: { tenant_access_token: token, expire: TTL_S } };
}

function idType(ctx: LarkCtx): Exclude<UserIdType, 'email'> {
  const type = ctx.query.user_id_type ?? 'open_id';
  if (!(ID_TYPES as readonly string[]).includes(type)) {
    throw larkFail(99992402, 'field validation failed: user_id_type must be open_id, union_id or user_id');
  }
  return type as Exclude<UserIdType, 'email'>;
}

function userView(u: LarkUser) {
  return {
    open_id: u.open_id,
    union_id: u.union_id,
    user_id: u.user_id,
    name: u.name,
    en_name: u.name,
    email: u.email,
  };
}

function getUser(ctx: LarkCtx) {
  const type = idType(ctx);
  const id = String(ctx.params.user_id);
  const user = findLarkUser(ctx.core.tenant, type, id);
  if (!user) throw larkFail(41050, `no user found for ${type} ${id}`);
  ctx.admit();
  return { data: { user: userView(user) } };
}

function batchGetId(ctx: LarkCtx) {
  const type = idType(ctx);
  const emails = ctx.body.emails ?? [];
  if (!Array.isArray(emails) || emails.some((e) => typeof e !== 'string')) {
    throw larkFail(99992402, 'field validation failed: emails must be a list of strings');
  }
  if (emails.length === 0) throw larkFail(99992402, 'field validation failed: emails or mobiles is required');
  if (emails.length > 50) throw larkFail(99992402, 'field validation failed: at most 50 emails');
  ctx.admit();
  const users = larkUsers(ctx.core.tenant);
  const user_list = (emails as string[]).map((email) => {
    const found = users.find((u) => u.email === email);
    return found ? { email, user_id: found[type] } : { email };
  });
  return { data: { user_list } };
}

export const larkContactRoutes: LarkRouteDef[] = [
  {
    id: 'lark.tenantAccessToken',
    method: 'post',
    path: '/open-apis/auth/v3/tenant_access_token/internal',
    auth: false,
    handle: tenantToken,
  },
  { id: 'lark.contact.user', method: 'get', path: '/open-apis/contact/v3/users/:user_id', handle: getUser },
  {
    id: 'lark.contact.batchGetId',
    method: 'post',
    path: '/open-apis/contact/v3/users/batch_get_id',
    handle: batchGetId,
  },
];
