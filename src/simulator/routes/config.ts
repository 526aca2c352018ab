/** Space configuration reads: fields, types, templates, roles, businesses, relation definitions. */
import { optString } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import type { Template } from '../model/types.ts';
import { parseId, spaceOf, typeOf } from './common.ts';

function fieldsAll(ctx: Ctx) {
  const space = spaceOf(ctx);
  const typeKey = optString(ctx.body, 'work_item_type_key');
  if (typeKey !== undefined) ctx.tenant.type(space, typeKey);
  const data = ctx.tenant.fieldsOf(space.project_key, typeKey).map((f) => ({
    field_key: f.field_key,
    field_alias: f.field_alias,
    field_name: f.field_name,
    field_type_key: f.field_type_key,
    is_custom_field: f.is_custom_field,
    is_obsoleted: false,
    work_item_scopes: f.work_item_scopes,
    value_generate_mode: 'Default',
    relation_id: f.relation_type_key ?? '',
    options: (f.options ?? []).map((o, order) => ({
      ...o,
      order,
      color: '',
      is_visibility: 1,
      is_disabled: 2,
    })),
  }));
  return { data };
}

function allTypes(ctx: Ctx) {
  const space = spaceOf(ctx);
  const data = ctx.tenant.data.types
    .filter((t) => t.project_key === space.project_key)
    .map((t) => ({
      type_key: t.type_key,
      name: t.name,
      is_disable: t.disabled ? 1 : 2,
      api_name: t.type_key,
      enable_model_resource_lib: false,
    }));
  return { data };
}

function typeInfo(ctx: Ctx) {
  const type = typeOf(ctx, spaceOf(ctx));
  return {
    data: {
      type_key: type.type_key,
      name: type.name,
      api_name: type.type_key,
      description: '',
      flow_mode: type.flow_mode,
      is_disabled: type.disabled ?? false,
      is_pinned: true,
      enable_schedule: type.flow_mode === 'workflow',
      schedule_field_key: '',
      estimate_point_field_key: '',
      actual_work_time_field_key: '',
      actual_work_time_switch: false,
      belong_roles: type.roles.map((r) => ({ id: r.id, name: r.name, key: r.id })),
    },
  };
}

function templateList(ctx: Ctx) {
  const space = spaceOf(ctx);
  const type = typeOf(ctx, space);
  const data = type.template_ids.map((id) => {
    const t = ctx.tenant.template(id);
    return {
      template_id: String(t.template_id),
      template_name: t.name,
      version: t.version,
      is_disabled: 2,
      unique_key: `${space.project_key}_template_${t.template_id}`,
      template_key: `${space.project_key}:${type.type_key}:${space.project_key}_template_${t.template_id}`,
    };
  });
  return { data };
}

function renderTemplate(t: Template) {
  return {
    template_id: t.template_id,
    template_name: t.name,
    version: t.version,
    is_disabled: 2,
    work_item_type_key: t.work_item_type_key,
    workflow_confs: t.nodes.map((n) => ({
      state_key: n.state_key,
      name: n.name,
      pass_mode: n.pass_mode,
      owner_usage_mode: n.owner_roles.length > 0 ? 2 : 1,
      owner_roles: n.owner_roles,
      owners: [],
      need_schedule: false,
      is_milestone: n.milestone ?? false,
      fields: n.required_fields.map((key) => ({ field_key: key, is_required: 1 })),
      sub_tasks: [],
    })),
    state_flow_confs: t.states.map((s) => ({
      state_key: s.state_key,
      name: s.name,
      state_type: s.is_init ? 1 : s.is_archived ? 3 : 2,
      authorized_roles: [],
    })),
    connections: t.flow === 'node' ? t.connections : t.transitions.map(({ required_fields: _r, ...c }) => c),
  };
}

function templateDetail(ctx: Ctx) {
  const space = spaceOf(ctx);
  const id = parseId(ctx.params.template_id, 'template_id');
  const template = ctx.tenant.data.templates.find(
    (t) => t.template_id === id && t.project_key === space.project_key,
  );
  if (!template) throw fail(50006, 'template not found');
  return { data: renderTemplate(template) };
}

function flowRoles(ctx: Ctx) {
  const type = typeOf(ctx, spaceOf(ctx));
  const data = type.roles.map((r, i) => ({
    id: r.id,
    name: r.name,
    key: r.id,
    is_owner: i === 0,
    role_appear_mode: 1,
    deletable: true,
    auto_enter_group: true,
    member_assign_mode: 1,
    members: [],
    is_member_multi: true,
    is_required: 2,
  }));
  return { data };
}

function businessAll(ctx: Ctx) {
  spaceOf(ctx);
  return { data: [] };
}

function workItemRelations(ctx: Ctx) {
  const space = spaceOf(ctx);
  const data = ctx.tenant
    .fieldsOf(space.project_key)
    .filter((f) => f.relation_type_key !== undefined)
    .map((f) => ({
      id: `${space.project_key}:work_item_relation:${f.field_key}`,
      name: f.field_name,
      disabled: false,
      relation_type: 0,
      work_item_type_key: f.work_item_scopes[0] ?? '',
      work_item_type_name: f.work_item_scopes[0] ?? '',
      relation_details: [
        {
          project_key: space.project_key,
          project_name: space.name,
          work_item_type_key: f.relation_type_key,
          work_item_type_name: f.relation_type_key,
        },
      ],
    }));
  const parents = (ctx.tenant.data.parent_relations ?? [])
    .filter((r) => r.project_key === space.project_key)
    .map((r) => ({
      id: r.id,
      name: r.name,
      disabled: false,
      relation_type: 1,
      work_item_type_key: r.work_item_type_key,
      work_item_type_name: r.work_item_type_key,
      relation_details: [
        {
          project_key: r.parent_project_key,
          project_name: ctx.tenant.findSpace(r.parent_project_key)?.name ?? '',
          work_item_type_key: r.parent_type_key,
          work_item_type_name: r.parent_type_key,
        },
      ],
    }));
  return { data: [...data, ...parents] };
}

const PK = '/open_api/:project_key';

export const configRoutes: RouteDef[] = [
  {
    id: 'config.workItemRelations',
    method: 'GET',
    path: `${PK}/work_item/relation`,
    handle: workItemRelations,
  },
  { id: 'config.fieldsAll', method: 'POST', path: `${PK}/field/all`, handle: fieldsAll },
  { id: 'config.allTypes', method: 'GET', path: `${PK}/work_item/all-types`, handle: allTypes },
  {
    id: 'config.workItemTypeInfo',
    method: 'GET',
    path: `${PK}/work_item/type/:work_item_type_key`,
    handle: typeInfo,
  },
  {
    id: 'config.templateList',
    method: 'GET',
    path: `${PK}/template_list/:work_item_type_key`,
    handle: templateList,
  },
  {
    id: 'config.templateDetail',
    method: 'GET',
    path: `${PK}/template_detail/:template_id`,
    handle: templateDetail,
  },
  { id: 'config.flowRoles', method: 'GET', path: `${PK}/flow_roles/:work_item_type_key`, handle: flowRoles },
  { id: 'config.businessAll', method: 'GET', path: `${PK}/business/all`, handle: businessAll },
];
