/**
 * `change.field` names the changed field by key or by alias, whichever the rule writes: a
 * webhook names the field by its key (`field_abc`), a rule author usually by its alias
 * (`priority_alias`). The change fact gets the other name beside it (`field_alias`, or
 * `field_key` when the delivery named the alias), from the type's field definitions, and a
 * condition on `change.field` sees the name its own value uses.
 */
import type { Change } from '../events/event.ts';
import type { ConditionLeaf, ConditionNode } from '../rules/rule.ts';
import { isFactRef, leaves } from './fact-values.ts';
import type { FieldMeta } from './work-item.ts';

/** The change with the other name of each changed field, where the definitions know one. */
export function withFieldNames(change: Change, meta: readonly FieldMeta[]): Change {
  const named = nameField(change, meta);
  if (!Array.isArray(change.fields)) return named;
  return { ...named, fields: change.fields.map((entry: unknown) => nameField(entry as Change, meta)) };
}

function nameField(change: Change, meta: readonly FieldMeta[]): Change {
  const field = change.field;
  if (typeof field !== 'string' || field === '') return change;
  const byKey = meta.find((m) => m.field_key === field);
  if (byKey?.field_alias) return { ...change, field_alias: byKey.field_alias };
  const byAlias = meta.find((m) => m.field_alias === field);
  if (byAlias) return { ...change, field_key: byAlias.field_key, field_alias: field };
  return change;
}

/** The names the changed field goes by: its key and its alias, as far as known. */
export function changedFieldNames(change: Change | undefined): string[] {
  if (change === undefined) return [];
  return [change.field, change.field_key, change.field_alias].filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
}

/**
 * The value a `change.field` condition compares: the name among the field's names that the
 * condition's own value writes (so `in: [priority_alias]` holds for `field_abc`, and `notIn`
 * does not), else the name the delivery used.
 */
export function fieldNameAsWritten(change: Change | undefined, written: unknown): unknown {
  const names = changedFieldNames(change);
  if (names.length <= 1) return change?.field;
  const wanted = Array.isArray(written) ? written : [written];
  return names.find((name) => wanted.includes(name)) ?? change?.field;
}

/** A leaf on `change.field` with a literal value: the one kind whose fact value depends on the value. */
export function isChangeFieldLeaf(leaf: ConditionLeaf): boolean {
  return leaf.fact === 'change' && leaf.path === 'field' && !isFactRef(leaf.value);
}

/** Whether conditions name a changed field (`change.field`, or `changedFrom` / `changedTo` with `field`). */
export function readsChangedField(node: ConditionNode | undefined): boolean {
  if (node === undefined) return false;
  return leaves(node).some(
    (leaf) =>
      (leaf.fact === 'change' && leaf.path === 'field') ||
      ((leaf.operator === 'changedFrom' || leaf.operator === 'changedTo') &&
        leaf.value !== null &&
        typeof leaf.value === 'object' &&
        'field' in leaf.value),
  );
}

/**
 * Field names as a field list carries them (a work item's `raw_fields`, a webhook's `fields`):
 * offline (`autopilot test`) they stand in for the type's field definitions.
 */
export function fieldNamesFrom(list: unknown): FieldMeta[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const f = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    const key = typeof f.field_key === 'string' ? f.field_key : f.key;
    if (typeof key !== 'string' || typeof f.field_alias !== 'string' || f.field_alias === '') return [];
    return [{ field_key: key, field_alias: f.field_alias }];
  });
}
