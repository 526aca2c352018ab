/**
 * The search DSL of search/params (data-structures §8): a SearchGroup compiles to a predicate
 * over work items, validating conjunctions (20072), param keys (20068), operators (20063),
 * value types (20069) and option counts (20064) on the way.
 */
import { fail } from '../http/sim-error.ts';
import type { Tenant } from './tenant.ts';
import type { FieldDef, WorkItem } from './types.ts';
import { inProgress } from './workflow.ts';

type Scalar = string | number | boolean;
type Kind = 'text' | 'number' | 'bool' | 'list' | 'id_list';
type Getter = (item: WorkItem) => Scalar[];
export type Predicate = (item: WorkItem) => boolean;

const OPS: Record<Kind, string[]> = {
  text: ['~', '!~', '=', '!=', 'IS NULL', 'IS NOT NULL'],
  number: ['=', '!=', '<', '>', '<=', '>=', 'IS NULL', 'IS NOT NULL'],
  bool: ['=', '!=', 'IS NULL', 'IS NOT NULL'],
  list: [
    '=',
    '!=',
    'HAS ANY OF',
    'HAS NONE OF',
    'IN',
    'NOT IN',
    'CONTAINS',
    'NOT CONTAINS',
    'IS NULL',
    'IS NOT NULL',
  ],
  id_list: [
    '=',
    '!=',
    '<',
    '>',
    '<=',
    '>=',
    'HAS ANY OF',
    'HAS NONE OF',
    'IN',
    'NOT IN',
    'IS NULL',
    'IS NOT NULL',
  ],
};

interface Param {
  kind: Kind;
  get: Getter;
}

function people(item: WorkItem): string[] {
  const roles = item.role_owners.flatMap((r) => r.owners);
  const nodes = item.nodes.flatMap((n) => n.owners);
  const watchers = (item.fields.watchers as string[] | undefined) ?? [];
  return [...new Set([item.created_by, ...roles, ...nodes, ...watchers])];
}

function fieldScalars(def: FieldDef, value: unknown): Scalar[] {
  if (value === undefined || value === null || value === '') return [];
  const one = (v: unknown): Scalar =>
    typeof v === 'object' && v !== null ? String((v as { value?: unknown }).value) : (v as Scalar);
  return Array.isArray(value) ? value.map(one) : [one(value)];
}

function fieldKind(def: FieldDef): Kind {
  switch (def.field_type_key) {
    case 'text':
    case 'link':
    case 'multi_text':
      return 'text';
    case 'number':
    case 'date':
      return 'number';
    case 'bool':
      return 'bool';
    case 'work_item_related_select':
    case 'work_item_related_multi_select':
      return 'id_list';
    default:
      return 'list';
  }
}

function resolveParam(tenant: Tenant, projectKey: string, typeKey: string, key: string): Param {
  const builtin: Record<string, Param> = {
    work_item_status: { kind: 'list', get: (i) => [i.status.state_key] },
    updated_at: { kind: 'number', get: (i) => [i.updated_at] },
    created_at: { kind: 'number', get: (i) => [i.created_at] },
    start_time: { kind: 'number', get: (i) => [i.created_at] },
    work_item_id: { kind: 'id_list', get: (i) => [i.id] },
    name: { kind: 'text', get: (i) => [i.name] },
    owner: { kind: 'list', get: (i) => [i.created_by] },
    template_id: { kind: 'id_list', get: (i) => [i.template_id] },
    people: { kind: 'list', get: people },
    current_nodes: {
      kind: 'list',
      get: (i) => {
        const template = tenant.template(i.template_id);
        return inProgress(i).flatMap((n) => [
          n.state_key,
          template.nodes.find((d) => d.state_key === n.state_key)?.name ?? '',
        ]);
      },
    },
  };
  const found = builtin[key];
  if (found) return found;
  const def = tenant.field(projectKey, typeKey, key);
  if (!def || def.field_type_key === 'role_owners' || def.field_type_key === 'aborted') {
    throw fail(20068, `Search Param Is Not Support, param_key: ${key}`);
  }
  return { kind: fieldKind(def), get: (item) => fieldScalars(def, item.fields[def.field_key]) };
}

function expectedValues(kind: Kind, key: string, operator: string, value: unknown): Scalar[] {
  if (operator === 'IS NULL' || operator === 'IS NOT NULL') return [];
  const bad = (type: string) => fail(20069, `Search Param Value Error, ${key}: param type must be ${type}`);
  if (kind === 'text') {
    if (typeof value !== 'string') throw bad('string');
    return [value];
  }
  if (kind === 'bool') {
    if (typeof value !== 'boolean') throw bad('bool');
    return [value];
  }
  if (kind === 'number' || (kind === 'id_list' && ['<', '>', '<=', '>='].includes(operator))) {
    if (typeof value !== 'number') throw bad('int64');
    return [value];
  }
  if (!Array.isArray(value)) throw bad(kind === 'id_list' ? '[]int64' : '[]string');
  if (value.length > 50) throw fail(20064, `${key}: more than 50 values`);
  const elementType = kind === 'id_list' ? 'number' : 'string';
  if (!value.every((v) => typeof v === elementType)) throw bad(kind === 'id_list' ? '[]int64' : '[]string');
  return value as Scalar[];
}

function compare(operator: string, actual: Scalar[], expected: Scalar[]): boolean {
  const has = (v: Scalar) => actual.includes(v);
  const first = actual[0];
  switch (operator) {
    case '=':
      return actual.length === 1 || expected.length === 1
        ? expected.some(has) && actual.every((a) => expected.includes(a))
        : false;
    case '!=':
      return !compare('=', actual, expected);
    case 'HAS ANY OF':
    case 'IN':
      return expected.some(has);
    case 'HAS NONE OF':
    case 'NOT IN':
      return !expected.some(has);
    case 'CONTAINS':
      return expected.every(has);
    case 'NOT CONTAINS':
      return !expected.every(has);
    case 'IS NULL':
      return actual.length === 0;
    case 'IS NOT NULL':
      return actual.length > 0;
    case '~':
      return typeof first === 'string' && first.includes(String(expected[0]));
    case '!~':
      return !(typeof first === 'string' && first.includes(String(expected[0])));
    default:
      return first !== undefined && numeric(operator, Number(first), Number(expected[0]));
  }
}

function numeric(operator: string, a: number, b: number): boolean {
  if (operator === '>') return a > b;
  if (operator === '<') return a < b;
  if (operator === '>=') return a >= b;
  return a <= b;
}

export interface CompiledSearch {
  predicate: Predicate;
  /** Terminated items only show up when a condition asks for state `closed`. */
  includesClosed: boolean;
}

export function compileSearch(
  tenant: Tenant,
  projectKey: string,
  typeKey: string,
  group: unknown,
): CompiledSearch {
  let conditions = 0;
  let includesClosed = false;
  const compileGroup = (raw: unknown, path: string): Predicate => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw fail(20006, `${path} must be a SearchGroup object`);
    const g = raw as Record<string, unknown>;
    if (g.conjunction !== 'AND' && g.conjunction !== 'OR')
      throw fail(20072, `${path}.conjunction: ${String(g.conjunction)}`);
    const params = g.search_params ?? [];
    const groups = g.search_groups ?? [];
    if (!Array.isArray(params) || !Array.isArray(groups))
      throw fail(20006, `${path}: search_params and search_groups must be arrays`);
    const parts = [
      ...params.map((p, i) => compileParam(p, `${path}.search_params[${i}]`)),
      ...groups.map((sub, i) => compileGroup(sub, `${path}.search_groups[${i}]`)),
    ];
    if (parts.length === 0) return () => true;
    return g.conjunction === 'AND'
      ? (item) => parts.every((p) => p(item))
      : (item) => parts.some((p) => p(item));
  };
  const compileParam = (raw: unknown, path: string): Predicate => {
    conditions += 1;
    if (conditions > 50) throw fail(20006, 'search_group has more than 50 conditions');
    const p = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof p.param_key !== 'string' || p.param_key === '')
      throw fail(20005, `${path}.param_key is required`);
    if (typeof p.operator !== 'string') throw fail(20005, `${path}.operator is required`);
    const param = resolveParam(tenant, projectKey, typeKey, p.param_key);
    const operator = p.operator.toUpperCase();
    if (!OPS[param.kind].includes(operator)) {
      throw fail(20063, `Operator:{${p.operator}} Is Not Support By Param {${p.param_key}}`);
    }
    const expected = expectedValues(param.kind, p.param_key, operator, p.value);
    if (
      p.param_key === 'work_item_status' &&
      ['=', 'HAS ANY OF', 'IN'].includes(operator) &&
      expected.includes('closed')
    ) {
      includesClosed = true;
    }
    return (item) => compare(operator, param.get(item), expected);
  };
  const predicate = compileGroup(group, 'search_group');
  return { predicate, includesClosed };
}
