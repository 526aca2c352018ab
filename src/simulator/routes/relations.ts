/** Space relations (空间关联): rules, bound work items, batch bind, unbind. */
import { optInt, optString, optStrings, reqInt, reqString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import type { RelationBinding, RelationRule } from '../model/types.ts';
import { spaceOf, targetOf } from './common.ts';

function ruleOf(ctx: Ctx, projectKey: string): RelationRule {
  const id = reqString(ctx.body, 'relation_rule_id');
  const rule = ctx.tenant.data.relation_rules.find((r) => r.id === id && r.project_key === projectKey);
  if (!rule) throw fail(20006, `relation_rule_id ${id} not found in this space`);
  return rule;
}

function typeName(ctx: Ctx, projectKey: string, typeKey: string): string {
  return (
    ctx.tenant.data.types.find((t) => t.project_key === projectKey && t.type_key === typeKey)?.name ?? typeKey
  );
}

function rules(ctx: Ctx) {
  const space = spaceOf(ctx);
  const remote = optStrings(ctx.body, 'remote_projects')?.map(
    (k) => ctx.tenant.findSpace(k)?.project_key ?? k,
  );
  const own = ctx.tenant.data.relation_rules.filter(
    (r) =>
      r.project_key === space.project_key && (remote === undefined || remote.includes(r.remote_project_key)),
  );
  const byRemote = new Map<string, RelationRule[]>();
  for (const rule of own)
    byRemote.set(rule.remote_project_key, [...(byRemote.get(rule.remote_project_key) ?? []), rule]);
  const data = [...byRemote].map(([remoteKey, list]) => ({
    remote_project_key: remoteKey,
    remote_project_name: ctx.tenant.findSpace(remoteKey)?.name ?? '',
    rules: list.map((r) => ({
      id: r.id,
      name: r.name,
      disabled: r.disabled,
      work_item_relation_id: r.work_item_relation_id,
      work_item_relation_name: r.work_item_relation_name,
      current_work_item_type_key: r.current_work_item_type_key,
      current_work_item_type_name: typeName(ctx, r.project_key, r.current_work_item_type_key),
      remote_work_item_type_key: r.remote_work_item_type_key,
      remote_work_item_type_name: typeName(ctx, r.remote_project_key, r.remote_work_item_type_key),
      chat_group_merge: r.chat_group_merge,
    })),
  }));
  return { data };
}

function workItemList(ctx: Ctx) {
  const { space, item } = targetOf(ctx);
  const rule = ruleOf(ctx, space.project_key);
  const remoteId = optInt(ctx.body, 'relation_work_item_id');
  const remoteType = optString(ctx.body, 'relation_work_item_type_key');
  const remoteProject = optString(ctx.body, 'relation_project_key');
  const remoteProjectKey =
    remoteProject === undefined ? undefined : ctx.tenant.findSpace(remoteProject)?.project_key;
  const data = ctx.tenant.data.bindings
    .filter(
      (b) =>
        b.rule_id === rule.id &&
        b.work_item_id === item.id &&
        (remoteId === undefined || b.remote_work_item_id === remoteId) &&
        (remoteType === undefined || b.remote_work_item_type_key === remoteType) &&
        (remoteProject === undefined || b.remote_project_key === remoteProjectKey),
    )
    .map((b) => ({
      relation_work_item_id: b.remote_work_item_id,
      relation_work_item_name: ctx.tenant.itemById(b.remote_work_item_id)?.name ?? '',
      relation_work_item_type_key: b.remote_work_item_type_key,
      relation_work_item_type_name: typeName(ctx, b.remote_project_key, b.remote_work_item_type_key),
      project_relation_rule_id: rule.id,
      project_relation_rule_name: rule.name,
      relation_project_key: b.remote_project_key,
      relation_project_name: ctx.tenant.findSpace(b.remote_project_key)?.name ?? '',
    }));
  return { data };
}

function batchBind(ctx: Ctx) {
  const { space, item } = targetOf(ctx);
  const rule = ruleOf(ctx, space.project_key);
  const instances = ctx.body.instances;
  if (!Array.isArray(instances) || instances.length === 0) throw fail(20005, 'instances is required');
  const bindings: RelationBinding[] = instances.map((raw, i) => {
    const inst = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const remoteSpace = ctx.tenant.space(reqString(inst, 'project_key'));
    const remoteType = reqString(inst, 'work_item_type_key');
    const remoteId = reqInt(inst, 'work_item_id');
    if (
      remoteSpace.project_key !== rule.remote_project_key ||
      remoteType !== rule.remote_work_item_type_key
    ) {
      throw fail(20006, `instances[${i}] does not match relation rule ${rule.id}`);
    }
    ctx.tenant.item(remoteSpace, remoteType, remoteId);
    return {
      rule_id: rule.id,
      work_item_id: item.id,
      remote_project_key: remoteSpace.project_key,
      remote_work_item_type_key: remoteType,
      remote_work_item_id: remoteId,
      chat_group_merge: optInt(inst, 'chat_group_merge') ?? 0,
    };
  });
  const fresh = bindings.filter(
    (b) =>
      !ctx.tenant.data.bindings.some(
        (e) =>
          e.rule_id === b.rule_id &&
          e.work_item_id === b.work_item_id &&
          e.remote_work_item_id === b.remote_work_item_id,
      ),
  );
  ctx.tenant.data.bindings.push(...fresh);
  ctx.changes.relation(
    item,
    'add',
    fresh.map((b) => b.remote_work_item_id),
  );
}

function unbind(ctx: Ctx) {
  const { space, item } = targetOf(ctx);
  const rule = ruleOf(ctx, space.project_key);
  const remoteId = reqInt(ctx.body, 'relation_work_item_id');
  const before = ctx.tenant.data.bindings.length;
  ctx.tenant.data.bindings = ctx.tenant.data.bindings.filter(
    (b) => !(b.rule_id === rule.id && b.work_item_id === item.id && b.remote_work_item_id === remoteId),
  );
  if (ctx.tenant.data.bindings.length === before) throw fail(30005, `work item ${remoteId} is not bound`);
  ctx.changes.relation(item, 'remove', [remoteId]);
}

const REL = '/open_api/:project_key/relation/:work_item_type_key/:work_item_id';

export const relationRoutes: RouteDef[] = [
  { id: 'relation.rules', method: 'POST', path: '/open_api/:project_key/relation/rules', handle: rules },
  { id: 'relation.workItemList', method: 'POST', path: `${REL}/work_item_list`, handle: workItemList },
  { id: 'relation.batchBind', method: 'POST', path: `${REL}/batch_bind`, write: true, handle: batchBind },
  { id: 'relation.unbind', method: 'DELETE', path: REL, write: true, handle: unbind },
];
