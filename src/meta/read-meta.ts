/**
 * Reads the metadata `autopilot check --live` checks rules against, through the catalogue's
 * operations and a rate-limited reader (the engine's limiter, so the API's limits hold):
 * per space `field/all`, `all-types`, and per type `template_list`, `template_detail` and
 * `flow_roles` (the templates give the states, the nodes and the connections between them);
 * `relation/rules`; then `user/query` for the user keys the rules name.
 */
import type { ReadData } from '../engine/work-item-loader.ts';
import { buildApiCall } from '../openapi/catalogue.ts';
import { idString } from '../match/work-item.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import { apiErrCodeOf } from '../openapi/error-code.ts';
import type {
  Edge,
  FieldMeta,
  NamedKey,
  RelationRuleMeta,
  SpaceMeta,
  TenantMeta,
  TypeMeta,
} from './space-meta.ts';

/** Error codes with which the API says a space does not exist (README §7 of the reference). */
const NO_SUCH_SPACE = new Set([30001, 1000052062]);
/** `state_type` of the state a state-flow work item is created in (StateFlowConfInfo). */
const INITIAL_STATE = 1;
/** `user/query` found nobody. */
const NO_SUCH_USER = 30006;
const USERS_PER_QUERY = 100;

type Raw = Record<string, unknown>;

export async function readSpaceMeta(read: ReadData, space: string): Promise<SpaceMeta> {
  let fieldData: unknown;
  try {
    fieldData = await read(projectCalls.allFields(space));
  } catch (error) {
    if (NO_SUCH_SPACE.has(apiErrCodeOf(error) ?? -1)) return { found: false };
    throw error;
  }
  const fields = list(fieldData).map(fieldOf);
  const types: TypeMeta[] = [];
  for (const raw of list(await read(projectCalls.allTypes(space)))) {
    const type = record(raw);
    const key = text(type.type_key);
    if (key === '') continue;
    types.push(await readType(read, space, key, text(type.name)));
  }
  const relation_rules = list(await read(projectCalls.relationRules(space))).flatMap((group) =>
    list(record(group).rules).map((r) => relationRuleOf(r, text(record(group).remote_project_key))),
  );
  return { found: true, types, fields, relation_rules };
}

async function readType(read: ReadData, space: string, key: string, name: string): Promise<TypeMeta> {
  const path = { project_key: space, work_item_type_key: key };
  const info = record(await read(buildApiCall('config.workItemTypeInfo', { path })));
  const states = new Map<string, NamedKey>();
  const nodes = new Map<string, NamedKey>();
  const flows = {
    transitions: new Edges(),
    initial_states: new Set<string>(),
    node_connections: new Edges(),
    start_nodes: new Set<string>(),
  };
  for (const template of list(await read(buildApiCall('config.templateList', { path })))) {
    const id = idString(record(template).template_id);
    if (id === '') continue;
    const detail = record(
      await read(buildApiCall('config.templateDetail', { path: { project_key: space, template_id: id } })),
    );
    const stateConfs = list(detail.state_flow_confs);
    const nodeConfs = list(detail.workflow_confs);
    for (const conf of stateConfs) addNamed(states, conf);
    for (const conf of nodeConfs) addNamed(nodes, conf);
    // A template is one flow or the other: its connections join its states, or its nodes.
    const edges = stateConfs.length > 0 ? flows.transitions : flows.node_connections;
    for (const raw of list(detail.connections)) edges.add(record(raw));
    for (const conf of stateConfs)
      if (record(conf).state_type === INITIAL_STATE) flows.initial_states.add(text(record(conf).state_key));
    const first = text(record(nodeConfs[0]).state_key);
    if (first !== '') flows.start_nodes.add(first);
  }
  const roles = list(await read(buildApiCall('config.flowRoles', { path }))).map((raw) => {
    const role = record(raw);
    const id = text(role.id);
    return { id, key: text(role.key) || id, name: text(role.name) };
  });
  return {
    key,
    name,
    ...(typeof info.flow_mode === 'string' && { flow_mode: info.flow_mode }),
    states: [...states.values()],
    nodes: [...nodes.values()],
    roles,
    transitions: flows.transitions.list(),
    initial_states: [...flows.initial_states].filter((s) => s !== ''),
    node_connections: flows.node_connections.list(),
    start_nodes: [...flows.start_nodes],
  };
}

/** Edges between state keys, each once. */
class Edges {
  private readonly byKey = new Map<string, Edge>();

  add(connection: Raw): void {
    const from = text(connection.source_state_key);
    const to = text(connection.target_state_key);
    if (from !== '' && to !== '') this.byKey.set(`${from}\u0000${to}`, { from, to });
  }

  list(): Edge[] {
    return [...this.byKey.values()];
  }
}

/** Which of `keys` are users, asking at most 100 at a time; a refused batch is asked key by key. */
export async function readUsers(read: ReadData, keys: readonly string[]): Promise<Record<string, boolean>> {
  const found: Record<string, boolean> = {};
  const ask = async (batch: readonly string[]): Promise<void> => {
    try {
      const data = list(await read(projectCalls.queryUsers({ user_keys: [...batch] })));
      const known = new Set(data.map((u) => idString(record(u).user_key)));
      for (const key of batch) found[key] = known.has(key);
    } catch (error) {
      if (apiErrCodeOf(error) !== NO_SUCH_USER) throw error;
      if (batch.length === 1) found[batch[0] as string] = false;
      else for (const key of batch) await ask([key]);
    }
  };
  for (let i = 0; i < keys.length; i += USERS_PER_QUERY) await ask(keys.slice(i, i + USERS_PER_QUERY));
  return found;
}

export async function readTenantMeta(
  read: ReadData,
  wanted: { spaces: readonly string[]; users: readonly string[] },
  meta: TenantMeta,
): Promise<TenantMeta> {
  for (const space of wanted.spaces) meta.spaces[space] = await readSpaceMeta(read, space);
  Object.assign(meta.users, await readUsers(read, wanted.users));
  return meta;
}

function fieldOf(raw: unknown): FieldMeta {
  const f = record(raw);
  const alias = text(f.field_alias);
  return {
    key: text(f.field_key),
    ...(alias !== '' && { alias }),
    name: text(f.field_name),
    type: text(f.field_type_key),
    scopes: list(f.work_item_scopes).filter((s): s is string => typeof s === 'string'),
    options: list(f.options).map((o) => ({ value: idString(record(o).value), label: text(record(o).label) })),
  };
}

function relationRuleOf(raw: unknown, remoteProject: string): RelationRuleMeta {
  const r = record(raw);
  return {
    id: text(r.id),
    name: text(r.name),
    type: text(r.current_work_item_type_key),
    remote_project: remoteProject,
    remote_type: text(r.remote_work_item_type_key),
  };
}

function addNamed(into: Map<string, NamedKey>, raw: unknown): void {
  const conf = record(raw);
  const key = text(conf.state_key);
  if (key !== '' && !into.has(key)) into.set(key, { key, name: text(conf.name) });
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function record(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
