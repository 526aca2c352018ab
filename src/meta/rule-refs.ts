/**
 * What a rule names in the tenant, each with where it is written: spaces, work item types,
 * fields (with the values compared with or written to them), workflow states and nodes, roles,
 * relation rules and user keys. Read from the rule document as written (the checker's input), so
 * every reference keeps its path for `file:line:column`. Templates (`{{…}}`) and values that
 * name another fact are only known when the rule runs and are left out.
 */
import { STEP_KEYS, STEP_TYPES } from '../rules/action-names.ts';

export type Path = (string | number)[];

/**
 * Where a reference is looked up: the spaces (absent: any space the rules name) and the types
 * (absent: any type of those spaces).
 */
export interface Scope {
  spaces?: string[];
  types?: string[];
}

/** How a value meets its field: compared in a condition, or written by an action. */
export type ValueUse = 'compare' | 'write';

export interface FieldValue {
  at: Path;
  value: unknown;
  use: ValueUse;
}

interface At {
  at: Path;
  /** Point at the key of the last path segment (a `fields:` map's key). */
  atKey?: boolean;
}

export type Ref =
  | (At & { kind: 'space'; space: string })
  | (At & { kind: 'type'; scope: Scope; type: string })
  | (At & {
      kind: 'field';
      scope: Scope;
      field: string;
      values: FieldValue[];
      /** The condition's operator compares numbers or matches text. */
      operator?: 'numeric' | 'text';
    })
  | (At & { kind: 'state'; scope: Scope; state: string })
  | (At & { kind: 'node'; scope: Scope; node: string; byName?: boolean })
  | (At & { kind: 'role'; scope: Scope; role: string })
  | (At & { kind: 'relation_rule'; scope: Scope; id: string })
  /** `transition.to` of a rule whose `when` requires the work item to be in one of `from`. */
  | (At & { kind: 'transition'; scope: Scope; from: string[]; to: string })
  | (At & { kind: 'user'; user: string });

const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);
const TEXT_OPERATORS = new Set(['matches', 'startsWith', 'endsWith']);
/** Operators whose value is not a value of the fact (a duration, a flag). */
const NO_VALUE_OPERATORS = new Set(['isEmpty', 'olderThan', 'newerThan']);
const USER_KEY = /^\d+$/;

type Raw = Record<string, unknown>;

export function ruleRefs(document: unknown): Ref[] {
  const rule = record(document);
  if (!rule) return [];
  const refs: Ref[] = [];
  const on = record(rule.on) ?? {};
  const scope = triggerScope(on, refs);
  conditions(rule.when, ['when'], scope, refs);
  block(rule.do, ['do'], scope, refs);
  const transition = firstTransition(rule, scope);
  if (transition) refs.push(transition);
  return refs;
}

/**
 * The rule's first transition, when `when` pins the state it starts from: a state the workflow
 * has no transition out of to `to` is a run that fails every time. Only the first transition of
 * the top-level steps, on the event's work item, with no wait before it: anything else may
 * start from another state.
 */
function firstTransition(rule: Raw, scope: Scope): Ref | undefined {
  const from = pinnedStates(rule.when);
  if (from.length === 0 || !Array.isArray(rule.do)) return undefined;
  for (const [i, raw] of rule.do.entries()) {
    const step = record(raw) ?? {};
    const transition = record(step.transition);
    if (transition) {
      if (transition.target !== undefined || !plain(transition.to)) return undefined;
      return { kind: 'transition', at: ['do', i, 'transition', 'to'], scope, from, to: transition.to };
    }
    if (MAY_CHANGE_STATE.some((key) => mentions(step, key))) return undefined;
  }
  return undefined;
}

/** Steps after which the work item may be in another state than `when` saw. */
const MAY_CHANGE_STATE = ['transition', 'wait', 'wait_until', 'api'];

function mentions(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((v) => mentions(v, key));
  const map = record(value);
  return map !== undefined && Object.entries(map).some(([k, v]) => k === key || mentions(v, key));
}

/** The states a condition requires (`work_item.state` equal or in, alone or under `all`). */
function pinnedStates(node: unknown): string[] {
  const condition = record(node);
  if (!condition) return [];
  if (Array.isArray(condition.all)) {
    for (const child of condition.all) {
      const states = pinnedStates(child);
      if (states.length > 0) return states;
    }
    return [];
  }
  if (condition.fact !== 'work_item' || condition.path !== 'state') return [];
  if (condition.operator === 'equal' && plain(condition.value)) return [condition.value];
  if (condition.operator === 'in' && Array.isArray(condition.value) && condition.value.every(plain))
    return condition.value;
  return [];
}

/** The trigger's spaces and types, which every reference of the rule is looked up in. */
function triggerScope(on: Raw, refs: Ref[]): Scope {
  const spaces = names(on.project, ['on', 'project'], refs, (space, at) => ({ kind: 'space', at, space }));
  const search = record(record(on.poll)?.search) ?? record(record(on.schedule)?.search);
  const searchAt: Path = on.poll !== undefined ? ['on', 'poll', 'search'] : ['on', 'schedule', 'search'];
  const searched = search ? searchScope(search, searchAt, {}, refs) : undefined;
  const scope: Scope = {};
  const ruleSpaces = spaces ?? searched?.spaces;
  if (ruleSpaces) scope.spaces = ruleSpaces;
  const types = names(on.work_item_type, ['on', 'work_item_type'], refs, (type, at) => ({
    kind: 'type',
    at,
    scope: { ...(ruleSpaces && { spaces: ruleSpaces }) },
    type,
  }));
  const ruleTypes = types ?? searched?.types;
  if (ruleTypes) scope.types = ruleTypes;
  const watch = record(on.poll)?.watch;
  if (Array.isArray(watch))
    watch.forEach((field, i) => {
      if (plain(field)) refs.push(fieldRef(['on', 'poll', 'watch', i], scope, field));
    });
  return scope;
}

/** A search/params or work_item/filter body: its space and types. */
function searchScope(search: Raw, at: Path, outer: Scope, refs: Ref[]): Scope {
  const scope: Scope = { ...outer };
  if (plain(search.project)) {
    refs.push({ kind: 'space', at: [...at, 'project'], space: search.project });
    scope.spaces = [search.project];
    delete scope.types;
  }
  const typeScope = { ...(scope.spaces && { spaces: scope.spaces }) };
  if (plain(search.work_item_type)) {
    refs.push({ kind: 'type', at: [...at, 'work_item_type'], scope: typeScope, type: search.work_item_type });
    scope.types = [search.work_item_type];
  }
  const keys = search.work_item_type_keys;
  if (Array.isArray(keys)) {
    const types: string[] = [];
    keys.forEach((type, i) => {
      if (!plain(type)) return;
      refs.push({ kind: 'type', at: [...at, 'work_item_type_keys', i], scope: typeScope, type });
      types.push(type);
    });
    if (types.length > 0) scope.types = types;
  }
  return scope;
}

function conditions(node: unknown, at: Path, scope: Scope, refs: Ref[]): void {
  const condition = record(node);
  if (!condition) return;
  for (const key of ['all', 'any'] as const) {
    const children = condition[key];
    if (Array.isArray(children))
      children.forEach((child, i) => conditions(child, [...at, key, i], scope, refs));
  }
  if (condition.not !== undefined) conditions(condition.not, [...at, 'not'], scope, refs);
  if (typeof condition.fact === 'string') leaf(condition, at, scope, refs);
}

function leaf(condition: Raw, at: Path, scope: Scope, refs: Ref[]): void {
  const operator = typeof condition.operator === 'string' ? condition.operator : '';
  const path = typeof condition.path === 'string' ? condition.path.split('.') : [];
  const valueAt = [...at, 'value'];
  // A value that names another fact is known only when the rule runs.
  if (typeof record(condition.value)?.fact === 'string') return;
  const values = NO_VALUE_OPERATORS.has(operator) ? [] : listed(condition.value, valueAt);
  const each = (make: (value: string, at: Path) => Ref) => {
    for (const v of values) if (plain(v.value)) refs.push(make(v.value, v.at));
  };
  const [head, second, third] = path;
  switch (condition.fact) {
    case 'work_item':
      if (head === 'fields' && second !== undefined) {
        const deeper = path.length > 2;
        refs.push({
          kind: 'field',
          at: [...at, 'path'],
          scope,
          field: second,
          values: deeper ? [] : values.map((v) => ({ ...v, use: 'compare' })),
          ...(!deeper && NUMERIC_OPERATORS.has(operator) && { operator: 'numeric' }),
          ...(!deeper && TEXT_OPERATORS.has(operator) && { operator: 'text' }),
        });
      } else if (head === 'state' && path.length === 1) {
        each((state, at) => ({ kind: 'state', at, scope, state }));
      } else if (head === 'current_nodes' && third !== undefined && path.length === 3) {
        if (third === 'id') each((node, at) => ({ kind: 'node', at, scope, node }));
        if (third === 'name') each((node, at) => ({ kind: 'node', at, scope, node, byName: true }));
      } else if (head === 'open_subtask_nodes' && path.length === 1) {
        each((node, at) => ({ kind: 'node', at, scope, node }));
      } else if (head === 'roles' && second !== undefined) {
        refs.push({ kind: 'role', at: [...at, 'path'], scope, role: second });
        if (path.length === 2) users(values, refs);
      } else if (head === 'type' && path.length === 1) {
        each((type, at) => ({ kind: 'type', at, scope: spacesOf(scope), type }));
      } else if ((head === 'created_by' || head === 'updated_by') && path.length === 1) {
        users(values, refs);
      }
      return;
    case 'change':
      if (operator === 'changedFrom' || operator === 'changedTo') {
        const change = record(condition.value);
        if (change && plain(change.field))
          refs.push(
            fieldRef([...valueAt, 'field'], scope, change.field, [[...valueAt, 'value'], change.value]),
          );
      } else if (head === 'field' && path.length === 1) {
        each((field, at) => fieldRef(at, scope, field));
      } else if (head === 'nodeId' && path.length === 1) {
        each((node, at) => ({ kind: 'node', at, scope, node }));
      }
      return;
    case 'event':
      if (head === 'operator' && path.length === 1) users(values, refs);
      if (head === 'workItem' && second === 'typeKey' && path.length === 2)
        each((type, at) => ({ kind: 'type', at, scope: spacesOf(scope), type }));
      return;
    default:
  }
}

function block(steps: unknown, at: Path, scope: Scope, refs: Ref[]): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((raw, i) => {
    const step = record(raw);
    if (step) stepRefs(step, [...at, i], scope, refs);
  });
}

function stepRefs(step: Raw, at: Path, scope: Scope, refs: Ref[]): void {
  if (step.when !== undefined) conditions(step.when, [...at, 'when'], scope, refs);
  if (record(step.recheck)) conditions(step.recheck, [...at, 'recheck'], scope, refs);
  block(step.else, [...at, 'else'], scope, refs);
  const type = Object.keys(step).find((k) => !STEP_KEYS.has(k) && STEP_TYPES.includes(k));
  if (type === undefined) return;
  const value = step[type];
  const typeAt = [...at, type];
  if (type === 'choose') {
    if (Array.isArray(value))
      value.forEach((raw, i) => {
        const pair = record(raw) ?? {};
        conditions(pair.when, [...typeAt, i, 'when'], scope, refs);
        block(pair.do, [...typeAt, i, 'do'], scope, refs);
      });
    return;
  }
  const params = record(value);
  if (!params) return;
  actionRefs(type, params, typeAt, targetScope(params, typeAt, scope, refs), refs);
}

/** An action's `target: { project, type }` moves its references to that space and type. */
function targetScope(params: Raw, at: Path, scope: Scope, refs: Ref[]): Scope {
  const target = record(params.target);
  if (!target) return scope;
  const inner: Scope = { ...scope };
  if (plain(target.project)) {
    refs.push({ kind: 'space', at: [...at, 'target', 'project'], space: target.project });
    inner.spaces = [target.project];
    delete inner.types;
  }
  if (plain(target.type)) {
    refs.push({ kind: 'type', at: [...at, 'target', 'type'], scope: spacesOf(inner), type: target.type });
    inner.types = [target.type];
  }
  return inner;
}

function actionRefs(type: string, params: Raw, at: Path, scope: Scope, refs: Ref[]): void {
  const node = () => {
    if (plain(params.node)) refs.push({ kind: 'node', at: [...at, 'node'], scope, node: params.node });
  };
  switch (type) {
    case 'transition':
      if (plain(params.to)) refs.push({ kind: 'state', at: [...at, 'to'], scope, state: params.to });
      fieldMap(params.fields, [...at, 'fields'], scope, refs);
      roleMap(params.roles, [...at, 'roles'], scope, refs);
      return;
    case 'complete_node':
      node();
      fieldMap(params.fields, [...at, 'fields'], scope, refs);
      users(listed(params.owners, [...at, 'owners']), refs);
      return;
    case 'rollback_node':
    case 'complete_subtask':
      node();
      return;
    case 'create_subtask':
      node();
      users(listed(params.assignees, [...at, 'assignees']), refs);
      return;
    case 'update_fields':
      fieldMap(params.fields, [...at, 'fields'], scope, refs);
      return;
    case 'assign':
      if (plain(params.role)) refs.push({ kind: 'role', at: [...at, 'role'], scope, role: params.role });
      users(listed(params.users, [...at, 'users']), refs);
      return;
    case 'bind':
      relationRule(params.relation_rule, [...at, 'relation_rule'], scope, refs);
      if (Array.isArray(params.work_items))
        params.work_items.forEach((raw, i) => {
          const other = record(raw);
          if (other) targetScope({ target: other }, [...at, 'work_items', i], scope, refs);
        });
      return;
    case 'unbind':
      relationRule(params.relation_rule, [...at, 'relation_rule'], scope, refs);
      return;
    case 'create_work_item': {
      const created: Scope = { ...spacesOf(scope) };
      if (plain(params.project)) {
        refs.push({ kind: 'space', at: [...at, 'project'], space: params.project });
        created.spaces = [params.project];
      }
      if (plain(params.type)) {
        refs.push({ kind: 'type', at: [...at, 'type'], scope: { ...created }, type: params.type });
        created.types = [params.type];
      }
      fieldMap(params.fields, [...at, 'fields'], created, refs);
      roleMap(params.roles, [...at, 'roles'], created, refs);
      return;
    }
    case 'message':
      users(
        listed(params.to, [...at, 'to']).filter((v) => typeof v.value === 'string' && USER_KEY.test(v.value)),
        refs,
      );
      return;
    case 'for_each': {
      const related = record(params.related);
      if (related) {
        const relatedAt = [...at, 'related'];
        relationRule(related.relation_rule, [...relatedAt, 'relation_rule'], scope, refs);
        if (plain(related.type)) {
          refs.push({ kind: 'type', at: [...relatedAt, 'type'], scope: spacesOf(scope), type: related.type });
          if (plain(related.field))
            refs.push(
              fieldRef([...relatedAt, 'field'], { ...spacesOf(scope), types: [related.type] }, related.field),
            );
        }
      }
      block(params.do, [...at, 'do'], scope, refs);
      return;
    }
    case 'lookup':
      for (const key of ['search', 'filter'] as const) {
        const search = record(params[key]);
        if (search) searchScope(search, [...at, key], spacesOf(scope), refs);
      }
      return;
    default:
  }
}

/** `fields: { key or alias: value }` of a write. */
function fieldMap(value: unknown, at: Path, scope: Scope, refs: Ref[]): void {
  const map = record(value);
  if (!map) return;
  for (const [field, written] of Object.entries(map)) {
    if (!plain(field)) continue;
    const fieldAt = [...at, field];
    const values = Array.isArray(written)
      ? written.map((v, i) => ({ at: [...fieldAt, i], value: v, use: 'write' as const }))
      : [{ at: fieldAt, value: written, use: 'write' as const }];
    refs.push({ kind: 'field', at: fieldAt, atKey: true, scope, field, values });
  }
}

/** `roles: { role: user key or list }`. */
function roleMap(value: unknown, at: Path, scope: Scope, refs: Ref[]): void {
  const map = record(value);
  if (!map) return;
  for (const [role, owners] of Object.entries(map)) {
    refs.push({ kind: 'role', at: [...at, role], atKey: true, scope, role });
    users(listed(owners, [...at, role]), refs);
  }
}

function relationRule(id: unknown, at: Path, scope: Scope, refs: Ref[]): void {
  if (plain(id)) refs.push({ kind: 'relation_rule', at, scope: spacesOf(scope), id });
}

function users(values: ReadonlyArray<{ at: Path; value: unknown }>, refs: Ref[]): void {
  for (const v of values)
    if (typeof v.value === 'string' && USER_KEY.test(v.value))
      refs.push({ kind: 'user', at: v.at, user: v.value });
}

function fieldRef(at: Path, scope: Scope, field: string, compared?: [Path, unknown]): Ref {
  const values: FieldValue[] = [];
  if (compared)
    values.push(...listed(compared[1], compared[0]).map((v) => ({ ...v, use: 'compare' as const })));
  return { kind: 'field', at, scope, field, values };
}

/** A string or list of strings at `at`: each name as written, with its path. */
function names(
  value: unknown,
  at: Path,
  refs: Ref[],
  make: (name: string, at: Path) => Ref,
): string[] | undefined {
  const found: string[] = [];
  for (const v of listed(value, at)) {
    if (!plain(v.value)) continue;
    refs.push(make(v.value, v.at));
    found.push(v.value);
  }
  return found.length > 0 ? found : undefined;
}

/** A value or each element of a list, with its path. */
function listed(value: unknown, at: Path): Array<{ at: Path; value: unknown }> {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map((v, i) => ({ at: [...at, i], value: v })) : [{ at, value }];
}

function spacesOf(scope: Scope): Scope {
  return scope.spaces ? { spaces: scope.spaces } : {};
}

/** A plain string, not a template: only those can be looked up before the rule runs. */
function plain(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !value.includes('{{');
}

function record(value: unknown): Raw | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}
