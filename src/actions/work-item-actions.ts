/** Actions on the work item itself: comment, update_fields, assign, abort, restore, create_work_item. */
import { buildApiCall } from '../openapi/catalogue.ts';
import { int64 } from '../openapi/json.ts';
import type { ApiCall } from '../plan/run.ts';
import {
  optionalMap,
  optionalString,
  requiredString,
  resolveTarget,
  ruleError,
  userList,
  type ActionContext,
  type ActionTarget,
  type BuildResult,
  type Params,
  type ReadApi,
} from './action-context.ts';
import { roleOwners, toFieldValuePairs, type FieldValuePair, type RoleOwner } from './field-values.ts';

function itemPath(target: ActionTarget) {
  return { project_key: target.project, work_item_type_key: target.type, work_item_id: target.id };
}

export function comment(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('comment', params, ctx);
  const content = requiredString('comment', params, 'text');
  return { calls: [buildApiCall('comment.create', { path: itemPath(target), body: { content } })] };
}

export function updateFields(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('update_fields', params, ctx);
  const fields = optionalMap('update_fields', params, 'fields');
  if (fields === undefined || Object.keys(fields).length === 0) {
    throw ruleError('update_fields', "'fields' is required and must name at least one field");
  }
  const update_fields = toFieldValuePairs(fields, ctx.fieldMeta);
  return { calls: [buildApiCall('workItem.update', { path: itemPath(target), body: { update_fields } })] };
}

function abortCall(action: 'abort' | 'restore', params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget(action, params, ctx);
  const body = {
    is_aborted: action === 'abort',
    reason: requiredString(action, params, 'reason'),
    reason_option: optionalString(action, params, 'reason_option') ?? 'other',
  };
  return { calls: [buildApiCall('workItem.abort', { path: itemPath(target), body })] };
}

export const abort = (params: Params, ctx: ActionContext) => abortCall('abort', params, ctx);
export const restore = (params: Params, ctx: ActionContext) => abortCall('restore', params, ctx);

export function createWorkItem(params: Params, ctx: ActionContext): BuildResult {
  const project = optionalString('create_work_item', params, 'project') ?? ctx.event.projectKey;
  if (project === undefined)
    throw ruleError('create_work_item', "'project' is required when the event has none");
  const pairs: FieldValuePair[] = toFieldValuePairs(
    optionalMap('create_work_item', params, 'fields') ?? {},
    ctx.fieldMeta,
  );
  const roles = optionalMap('create_work_item', params, 'roles');
  if (roles !== undefined) pairs.push({ field_key: 'role_owners', field_value: roleOwners(roles) });
  const body: Record<string, unknown> = {
    work_item_type_key: requiredString('create_work_item', params, 'type'),
    name: requiredString('create_work_item', params, 'name'),
  };
  const templateId = params.template_id;
  if (templateId !== undefined) body.template_id = int64(templateId as string);
  if (pairs.length > 0) body.field_value_pairs = pairs;
  return { calls: [buildApiCall('workItem.create', { path: { project_key: project }, body })] };
}

/**
 * `role_owners` is written whole (every role, not only the changed one), so assigning needs
 * the current roles: they are read right before the write, never taken from a stale plan.
 */
export function assign(params: Params, ctx: ActionContext): BuildResult {
  resolveTarget('assign', params, ctx);
  assignSpec(params);
  return { deferred: 'assign rewrites role_owners whole: the current roles are read at execution time' };
}

export async function resolveAssign(params: Params, ctx: ActionContext, read: ReadApi): Promise<ApiCall[]> {
  const target = resolveTarget('assign', params, ctx);
  const { role, users, mode } = assignSpec(params);
  const current = currentRoles(await read(roleQuery(target)));
  const existing = current.find((r) => r.role === role);
  const owners = mode === 'add' ? [...new Set([...(existing?.owners ?? []), ...users])] : users;
  const roles =
    existing === undefined
      ? [...current, { role, owners }]
      : current.map((r) => (r === existing ? { role, owners } : r));
  const update_fields = [{ field_key: 'role_owners', field_value: roles }];
  return [buildApiCall('workItem.update', { path: itemPath(target), body: { update_fields } })];
}

function assignSpec(params: Params): { role: string; users: string[]; mode: 'replace' | 'add' } {
  const mode = params.mode ?? 'replace';
  if (mode !== 'replace' && mode !== 'add')
    throw ruleError('assign', "'mode' must be replace or add", { mode });
  const role = requiredString('assign', params, 'role');
  return { role, users: userList('assign', params, 'users', true) ?? [], mode };
}

function roleQuery(target: ActionTarget): ApiCall {
  return buildApiCall('workItem.query', {
    path: { project_key: target.project, work_item_type_key: target.type },
    body: { work_item_ids: [int64(target.id)], fields: ['role_owners'] },
  });
}

/** role_owners of the first work item in a `workItem.query` answer. */
function currentRoles(data: unknown): RoleOwner[] {
  const item = Array.isArray(data) ? (data[0] as Record<string, unknown> | undefined) : undefined;
  const fields = Array.isArray(item?.fields) ? (item.fields as Record<string, unknown>[]) : [];
  const value = fields.find((f) => f.field_key === 'role_owners')?.field_value;
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const r = entry as Record<string, unknown>;
    if (typeof r?.role !== 'string') return [];
    return [{ role: r.role, owners: Array.isArray(r.owners) ? r.owners.map(String) : [] }];
  });
}
