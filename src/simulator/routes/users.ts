/** Users and spaces (user/query, user/search, projects, projects/detail) and bot_join_chat. */
import { optString, optStrings, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import type { User } from '../model/types.ts';
import { parseId, spaceOf } from './common.ts';

function renderUser(u: User) {
  return {
    user_id: 0,
    user_key: u.user_key,
    username: u.username,
    name_cn: u.name_cn,
    name_en: u.name_en,
    name: { default: u.name_cn, zh_cn: u.name_cn, en_us: u.name_en },
    email: u.email,
    out_id: u.out_id,
    avatar_url: '',
    status: u.status,
  };
}

function userQuery(ctx: Ctx) {
  const keys = optStrings(ctx.body, 'user_keys') ?? [];
  const outIds = optStrings(ctx.body, 'out_ids') ?? [];
  const emails = optStrings(ctx.body, 'emails') ?? [];
  const asked = keys.length + outIds.length + emails.length;
  if (asked === 0) throw fail(20005, 'user_keys, out_ids or emails is required');
  if (asked > 100) throw fail(20004, 'at most 100 users');
  const found = ctx.tenant.data.users.filter(
    (u) => keys.includes(u.user_key) || outIds.includes(u.out_id) || emails.includes(u.email),
  );
  if (found.length === 0) throw fail(30006, 'no user found');
  return { data: found.map(renderUser) };
}

function userSearch(ctx: Ctx) {
  const query = reqString(ctx.body, 'query');
  const data = ctx.tenant.data.users
    .filter((u) => [u.username, u.name_cn, u.name_en, u.email].some((v) => v.includes(query)))
    .map(renderUser);
  return { data };
}

function knownUser(ctx: Ctx): string {
  const key = reqString(ctx.body, 'user_key');
  if (!ctx.tenant.findUser(key)) throw fail(30006, `user: ${key} not exist`);
  return key;
}

function projects(ctx: Ctx) {
  knownUser(ctx);
  return { data: ctx.tenant.data.spaces.map((s) => s.project_key) };
}

function projectDetail(ctx: Ctx) {
  knownUser(ctx);
  const keys = [
    ...(optStrings(ctx.body, 'project_keys') ?? []),
    ...(optStrings(ctx.body, 'simple_names') ?? []),
  ];
  if (keys.length === 0) throw fail(20005, 'project_keys or simple_names is required');
  if (keys.length > 100) throw fail(20001, 'at most 100 spaces');
  const data: Record<string, unknown> = {};
  for (const key of keys) {
    const space = ctx.tenant.findSpace(key);
    if (space) data[space.project_key] = { ...space };
  }
  return { data };
}

function botJoin(ctx: Ctx) {
  const space = spaceOf(ctx);
  const id = parseId(ctx.params.work_item_id, 'work_item_id');
  const typeKey = optString(ctx.body, 'work_item_type_key');
  const item = typeKey ? ctx.tenant.item(space, typeKey, id) : ctx.tenant.itemInSpace(space, id);
  const appIds = optStrings(ctx.body, 'app_ids') ?? [];
  if (appIds.length === 0) throw fail(20020);
  if (appIds.length > 5) throw fail(20019);
  return { data: { chat_id: `oc_sim${item.id}`, success_members: appIds, failed_members: [] } };
}

export const userRoutes: RouteDef[] = [
  { id: 'user.query', method: 'POST', path: '/open_api/user/query', auth: 'token', handle: userQuery },
  { id: 'user.search', method: 'POST', path: '/open_api/user/search', handle: userSearch },
  { id: 'project.list', method: 'POST', path: '/open_api/projects', handle: projects },
  { id: 'project.detail', method: 'POST', path: '/open_api/projects/detail', handle: projectDetail },
  {
    id: 'chat.botJoin',
    method: 'POST',
    path: '/open_api/:project_key/work_item/:work_item_id/bot_join_chat',
    write: true,
    handle: botJoin,
  },
];
