/** A new work item on its template's first node or initial state; shared by `create` and the seed. */
import { fail } from '../http/sim-error.ts';
import type { ResolvedPair } from './fields.ts';
import type { Tenant } from './tenant.ts';
import type { RoleOwner, Space, WorkItem, WorkItemType } from './types.ts';
import { initialNodes, nodeFlowStateKey } from './workflow.ts';

export interface NewWorkItem {
  space: Space;
  type: WorkItemType;
  name: string;
  templateId?: number;
  pairs: ResolvedPair[];
  operator: string;
  now: number;
}

export function newWorkItem(tenant: Tenant, spec: NewWorkItem): WorkItem {
  const templateId = spec.templateId ?? spec.type.template_ids[0];
  if (templateId === undefined || !spec.type.template_ids.includes(templateId)) {
    throw fail(50006, 'template not found');
  }
  const template = tenant.template(templateId);
  const fields: Record<string, unknown> = {};
  let roleOwners: RoleOwner[] = [];
  for (const { def, value } of spec.pairs) {
    if (def.field_key === 'role_owners') roleOwners = value as RoleOwner[];
    else fields[def.field_key] = value;
  }
  const item: WorkItem = {
    id: tenant.nextWorkItemId(),
    project_key: spec.space.project_key,
    work_item_type_key: spec.type.type_key,
    template_id: templateId,
    name: spec.name,
    fields,
    role_owners: roleOwners,
    status: { state_key: '', updated_at: spec.now, updated_by: spec.operator },
    history: [],
    nodes: template.flow === 'node' ? initialNodes(template, spec.now) : [],
    state_times: [],
    aborted: { is_aborted: false, reason: '', prior_state_key: '' },
    frozen: false,
    deleted: false,
    created_by: spec.operator,
    created_at: spec.now,
    updated_by: spec.operator,
    updated_at: spec.now,
  };
  // Node owners follow the roles bound to each node, as role-bound owner assignment does.
  for (const run of item.nodes) {
    const roles = template.nodes.find((n) => n.state_key === run.state_key)?.owner_roles ?? [];
    run.owners = roleOwners.filter((r) => roles.includes(r.role)).flatMap((r) => r.owners);
  }
  const initial =
    template.flow === 'node'
      ? nodeFlowStateKey(item)
      : (template.states.find((s) => s.is_init)?.state_key ?? template.states[0]?.state_key ?? '');
  item.status.state_key = initial;
  item.state_times.push({ state_key: initial, start_time: spec.now, end_time: 0 });
  tenant.data.work_items.push(item);
  return item;
}
