/**
 * Turning a rule's `{field: value}` map into the API's FieldValuePair list, in the write
 * formats of the reference (data-structures §9): an option field takes `{value}` (the option
 * id), a multi-option field a list of them, roles a RoleOwner list. Rule authors write the
 * plain option value (`priority: "0"`), as conditions read it.
 */

import type { FieldMeta } from '../match/work-item.ts';

export interface FieldValuePair {
  field_key?: string;
  field_alias?: string;
  field_value: unknown;
}

export interface RoleOwner {
  role: string;
  owners: string[];
}

/** Built-in fields and their types; any other key is a custom field key (`field_…`) or an alias. */
const SYSTEM_FIELDS: Readonly<Record<string, string>> = {
  name: 'text',
  description: 'multi_text',
  priority: 'select',
  role_owners: 'role_owners',
  watchers: 'multi_user',
  business: 'business',
  schedule: 'schedule',
  owner: 'user',
  group_type: 'group_type',
  work_item_status: 'work_item_status',
};

const FIELD_KEY = /^(field_|nfield_|node_field_)/;

export function toFieldValuePairs(
  values: Record<string, unknown>,
  meta: readonly FieldMeta[] = [],
): FieldValuePair[] {
  return Object.entries(values).map(([name, value]) => {
    const known = meta.find(
      (m) => m.field_key === name || (m.field_alias !== undefined && m.field_alias === name),
    );
    const type = known?.field_type_key ?? SYSTEM_FIELDS[name];
    const field_value = toFieldValue(value, type);
    if (known !== undefined) return { field_key: known.field_key, field_value };
    if (FIELD_KEY.test(name) || name in SYSTEM_FIELDS) return { field_key: name, field_value };
    return { field_alias: name, field_value };
  });
}

/** One value in the write format of its field type (unknown types pass through as written). */
export function toFieldValue(value: unknown, type: string | undefined): unknown {
  switch (type?.replaceAll('-', '_')) {
    case 'select':
    case 'radio':
      return option(value);
    case 'multi_select':
      return Array.isArray(value) ? value.map(option) : [option(value)];
    case 'multi_user':
      return typeof value === 'string' ? [value] : value;
    case 'role_owners':
      return isPlainMap(value) ? roleOwners(value) : value;
    case 'work_item_status':
      return typeof value === 'string' ? { state_key: value } : value;
    default:
      return value;
  }
}

/** `{PM: [u1], rd: u2}` → `[{role: PM, owners: [u1]}, {role: rd, owners: [u2]}]`. */
export function roleOwners(roles: Record<string, unknown>): RoleOwner[] {
  return Object.entries(roles).map(([role, users]) => ({
    role,
    owners: typeof users === 'string' ? [users] : Array.isArray(users) ? users.map(String) : [],
  }));
}

function option(value: unknown): unknown {
  return typeof value === 'string' || typeof value === 'number' ? { value: String(value) } : value;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
