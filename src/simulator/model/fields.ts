/**
 * Field values: FieldValuePair lists in write bodies are checked against the field
 * definitions and stored in the read format (data-structures §9), so reads echo what the
 * real API would return.
 */
import { fail } from '../http/sim-error.ts';
import type { FieldDef, RoleOwner } from './types.ts';
import type { Tenant } from './tenant.ts';

export interface FieldPair {
  key: string;
  value: unknown;
}

/** A FieldValuePair[] from a body: 20006 when not a list of objects, 20025 without a key. */
export function parseFieldPairs(value: unknown, name: string): FieldPair[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail(20006, `${name} must be an array of FieldValuePair`);
  const seen = new Set<string>();
  return value.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw fail(20006, `${name}[${i}] must be an object`);
    }
    const pair = entry as Record<string, unknown>;
    const key = pair.field_key ?? pair.field_alias;
    if (typeof key !== 'string' || key === '')
      throw fail(20025, `${name}[${i}] has no field_key or field_alias`);
    if (seen.has(key)) throw fail(20083, `Duplication Field Exist, FieldKey : ${key}`);
    seen.add(key);
    return { key, value: pair.field_value };
  });
}

export function parseRoleOwners(value: unknown, name: string): RoleOwner[] {
  if (!Array.isArray(value)) throw fail(20006, `${name} must be an array of RoleOwner`);
  return value.map((entry, i) => {
    const r = entry as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || typeof r.role !== 'string') {
      throw fail(20006, `${name}[${i}].role must be a string`);
    }
    const owners = r.owners ?? [];
    if (!Array.isArray(owners) || !owners.every((o) => typeof o === 'string')) {
      throw fail(20006, `${name}[${i}].owners must be a list of user keys`);
    }
    return { role: r.role, owners: owners as string[] };
  });
}

function option(def: FieldDef, raw: unknown): { label: string; value: string } {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).value : undefined;
  if (typeof value !== 'string')
    throw fail(20006, `${def.field_key}: option value must be {"value": string}`);
  const found = def.options?.find((o) => o.value === value);
  if (!found) throw fail(20050, `「${def.field_key}」Field Option Value Is Wrong: ${value}`);
  return { label: found.label, value: found.value };
}

function requireType(ok: boolean, def: FieldDef, expected: string): void {
  if (!ok) throw fail(20006, `${def.field_key}: field_value must be ${expected}`);
}

function relatedIds(tenant: Tenant, def: FieldDef, raw: unknown[]): number[] {
  return raw.map((v) => {
    const id = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    requireType(typeof id === 'number' && Number.isInteger(id), def, 'a work item id');
    const target = tenant.itemById(id as number);
    if (!target || (def.relation_type_key && target.work_item_type_key !== def.relation_type_key)) {
      throw fail(20051, `${def.field_key}: work item ${String(v)} cannot be linked`);
    }
    return id as number;
  });
}

/** Rich text blocks are read back as their plain text. */
function plainText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  const lines = raw as { content?: { text?: string }[] }[];
  return lines.map((line) => (line.content ?? []).map((n) => n.text ?? '').join('')).join('\n');
}

/** Check one value against its field and return it in the read format. */
export function normalizeValue(tenant: Tenant, def: FieldDef, raw: unknown): unknown {
  if (raw === null) return null;
  switch (def.field_type_key) {
    case 'select':
    case 'radio':
      return option(def, raw);
    case 'multi_select':
      requireType(Array.isArray(raw), def, 'a list of options');
      return (raw as unknown[]).map((v) => option(def, v));
    case 'text':
    case 'link':
      requireType(typeof raw === 'string', def, 'a string');
      return raw;
    case 'multi_text':
      requireType(typeof raw === 'string' || Array.isArray(raw), def, 'rich text blocks');
      return plainText(raw);
    case 'number':
      requireType(typeof raw === 'number', def, 'a number');
      return raw;
    case 'bool':
      requireType(typeof raw === 'boolean', def, 'a bool');
      return raw;
    case 'date':
      requireType(typeof raw === 'number' && Number.isInteger(raw), def, 'a ms timestamp');
      return raw;
    case 'user':
      requireType(typeof raw === 'string', def, 'a user_key');
      return raw;
    case 'multi_user':
      requireType(Array.isArray(raw) && raw.every((v) => typeof v === 'string'), def, 'a list of user_keys');
      return raw;
    case 'schedule': {
      const s = raw as Record<string, unknown>;
      requireType(typeof s === 'object' && typeof s.start_time === 'number', def, '{start_time, end_time}');
      return { start_time: s.start_time, end_time: s.end_time ?? s.start_time };
    }
    case 'work_item_related_select':
      return relatedIds(tenant, def, [raw])[0];
    case 'work_item_related_multi_select':
      requireType(Array.isArray(raw), def, 'a list of work item ids');
      return relatedIds(tenant, def, raw as unknown[]);
    default:
      return raw;
  }
}

export interface ResolvedPair {
  def: FieldDef;
  value: unknown;
}

/** Resolve pairs for an item of this space/type: unknown 30009, read-only 20033. */
export function resolvePairs(
  tenant: Tenant,
  projectKey: string,
  typeKey: string,
  pairs: FieldPair[],
): ResolvedPair[] {
  return pairs.map(({ key, value }) => {
    const def = tenant.field(projectKey, typeKey, key);
    if (!def) throw fail(30009, `field_value_pairs field key ${key}:can not find field`);
    if (def.read_only) throw fail(20033, `field ${key} cannot be updated`);
    if (value === undefined) throw fail(20005, `field_value of ${key} is required`);
    if (def.field_key === 'role_owners') return { def, value: parseRoleOwners(value, key) };
    return { def, value: normalizeValue(tenant, def, value) };
  });
}

export function isFilled(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** A multi-select's option as its value (what rule authors compare), anything else as JSON. */
function optionValue(v: unknown): string {
  const value = (v as Record<string, unknown> | null)?.value;
  return typeof value === 'string' ? value : JSON.stringify(v);
}

/** Stringified value for op records and webhook change lists. */
export function stringify(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'object' ? optionValue(v) : String(v)));
  if (typeof value === 'object') {
    const v = (value as Record<string, unknown>).value;
    return [typeof v === 'string' ? v : JSON.stringify(value)];
  }
  return [String(value)];
}
