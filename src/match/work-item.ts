/**
 * The `work_item` fact: the Open API WorkItemInfo turned into what rule authors write
 * (`fields.priority` is `P0`'s option value, `roles.PM` a list of user_keys, dates epoch ms).
 * The raw field list stays available as `raw_fields`.
 */
import { stateTimes, type StateTimes, type TimeSpent } from './time-in-state.ts';

export interface NodeRef {
  id: string;
  name: string;
  /** Epoch ms the node was entered (from `state_times`), when known. */
  entered_at?: number;
  /** Milliseconds in the node, where the fact is shown at a time (`withTimeSpent`). */
  time_in_node?: number;
}

export interface NormalizedWorkItem extends StateTimes, TimeSpent {
  id: string;
  name: string;
  type: string;
  project: string;
  /** State key (state flow) or the work_item_status key (node flow). */
  state: string | undefined;
  current_nodes: NodeRef[];
  /** Keyed by field key and, where set, by alias too. */
  fields: Record<string, unknown>;
  /** role → user_keys. */
  roles: Record<string, string[]>;
  created_at: number | undefined;
  updated_at: number | undefined;
  created_by: string | undefined;
  updated_by: string | undefined;
  raw_fields: unknown[];
  /**
   * Read only when a rule's conditions mention them (one more API call): the sub-tasks, and the
   * nodes that still have an open one (`open_subtask_nodes doesNotContain <node>` = all done).
   */
  subtasks?: SubtaskRef[];
  open_subtask_nodes?: string[];
}

export interface SubtaskRef {
  id: string;
  name: string;
  node_id: string;
  passed: boolean;
}

/** `subtask.list`'s answer (NodeTask[] with sub_tasks) as the fact's two views. */
export function subtaskViews(data: unknown): { subtasks: SubtaskRef[]; open_subtask_nodes: string[] } {
  const subtasks: SubtaskRef[] = [];
  for (const node of Array.isArray(data) ? data : []) {
    const n = asRecord(node);
    const nodeId = String(n.state_key ?? n.id ?? '');
    for (const task of Array.isArray(n.sub_tasks) ? n.sub_tasks : []) {
      const t = asRecord(task);
      subtasks.push({
        id: idString(t.id),
        name: String(t.name ?? ''),
        node_id: nodeId,
        passed: t.passed === true,
      });
    }
  }
  const open = new Set(subtasks.filter((t) => !t.passed).map((t) => t.node_id));
  return { subtasks, open_subtask_nodes: [...open] };
}

/** What is known about a field beyond its key: its alias and its type (from meta or the field list). */
export interface FieldMeta {
  field_key: string;
  field_alias?: string;
  field_type_key?: string;
}

export type WorkItemProvider = () => Promise<NormalizedWorkItem | undefined>;

type Raw = Record<string, unknown>;

/** A work item known only by what names it: every field absent, no roles, no nodes. */
export function emptyWorkItem(
  known: Pick<NormalizedWorkItem, 'id' | 'type'> & Partial<Pick<NormalizedWorkItem, 'name' | 'project'>>,
): NormalizedWorkItem {
  return {
    name: '',
    project: '',
    state: undefined,
    current_nodes: [],
    fields: {},
    roles: {},
    created_at: undefined,
    updated_at: undefined,
    created_by: undefined,
    updated_by: undefined,
    raw_fields: [],
    ...known,
  };
}

export function normalizeWorkItem(raw: unknown, fieldMeta: readonly FieldMeta[] = []): NormalizedWorkItem {
  const item = asRecord(raw);
  const rawFields = Array.isArray(item.fields) ? (item.fields as unknown[]) : [];
  const metaByKey = new Map(fieldMeta.map((m) => [m.field_key, m]));
  const fields: Record<string, unknown> = Object.create(null);
  let roles: Record<string, string[]> = Object.create(null);
  for (const entry of rawFields) {
    const field = readField(entry, metaByKey);
    if (field === undefined) continue;
    const value = normalizeFieldValue(field.value, field.type);
    fields[field.key] = value;
    if (field.alias) fields[field.alias] = value;
    if (field.key === 'role_owners') roles = rolesFrom(field.value);
  }
  const state = stateKey(item.work_item_status);
  const nodes = nodesFrom(item.current_nodes);
  const entered = stateTimes(
    item,
    state,
    nodes.map((n) => n.id),
  );
  const current_nodes = entered.node_entered_at
    ? nodes.map((n) => {
        const at = (entered.node_entered_at as Record<string, number>)[n.id];
        return at === undefined ? n : { ...n, entered_at: at };
      })
    : nodes;
  return {
    id: idString(item.id),
    name: typeof item.name === 'string' ? item.name : '',
    type: stringOr(item.work_item_type_key, ''),
    project: stringOr(item.project_key, ''),
    state,
    current_nodes,
    ...entered,
    fields,
    roles,
    created_at: optionalNumber(item.created_at),
    updated_at: optionalNumber(item.updated_at),
    created_by: optionalString(item.created_by),
    updated_by: optionalString(item.updated_by),
    raw_fields: rawFields,
  };
}

/** Accepts the Open API shape `{field_key, field_value}` and the webhook shape `{key, value}`. */
function readField(
  entry: unknown,
  metaByKey: ReadonlyMap<string, FieldMeta>,
): { key: string; alias?: string; type?: string; value: unknown } | undefined {
  const f = asRecord(entry);
  const key = optionalString(f.field_key) ?? optionalString(f.key);
  if (key === undefined || isReservedKey(key)) return undefined;
  const meta = metaByKey.get(key);
  const alias = optionalString(f.field_alias) || meta?.field_alias;
  const type = optionalString(f.field_type_key) ?? meta?.field_type_key;
  const value = 'field_value' in f ? f.field_value : f.value;
  return { key, alias: alias && !isReservedKey(alias) ? alias : undefined, type, value };
}

function isReservedKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/** Option fields become their option value; everything else keeps the API's read format. */
export function normalizeFieldValue(value: unknown, type: string | undefined): unknown {
  const kind = type?.replaceAll('-', '_');
  if (kind === 'select' || kind === 'radio' || kind === 'tree_select') return optionValue(value);
  if (kind === 'multi_select' || kind === 'tree_multi_select') {
    return Array.isArray(value) ? value.map(optionValue) : value;
  }
  if (kind === 'date') return optionalNumber(value) ?? value;
  if (kind === undefined && isOption(value)) return optionValue(value);
  if (kind === undefined && Array.isArray(value) && value.length > 0 && value.every(isOption)) {
    return value.map(optionValue);
  }
  return value;
}

function isOption(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'value' in value && 'label' in value;
}

function optionValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'value' in value) return (value as Raw).value;
  return value;
}

function rolesFrom(value: unknown): Record<string, string[]> {
  const roles: Record<string, string[]> = Object.create(null);
  if (!Array.isArray(value)) return roles;
  for (const entry of value) {
    const r = asRecord(entry);
    if (typeof r.role !== 'string' || isReservedKey(r.role)) continue;
    roles[r.role] = Array.isArray(r.owners) ? r.owners.filter((o): o is string => typeof o === 'string') : [];
  }
  return roles;
}

function nodesFrom(value: unknown): NodeRef[] {
  if (!Array.isArray(value)) return [];
  return value.map((n) => {
    const node = asRecord(n);
    return { id: stringOr(node.id ?? node.state_key, ''), name: stringOr(node.name ?? node.node_name, '') };
  });
}

function stateKey(status: unknown): string | undefined {
  if (typeof status === 'string') return status;
  return optionalString(asRecord(status).state_key);
}

export function idString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  // lossless-json's LosslessNumber and similar wrappers print their exact digits.
  if (value !== null && typeof value === 'object' && 'value' in value) return String((value as Raw).value);
  return '';
}

function asRecord(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
