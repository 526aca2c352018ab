/**
 * Record values are text lists (`old: ["P0"]`, `new: ["5"]`); rule authors compare typed values,
 * as webhooks give them. With the field's type the value is typed again; without, one value
 * stays text and several stay a list.
 */

/** The field_type_key of a field of a work item type, when known. */
export type FieldTypeOf = (projectKey: string, typeKey: string, fieldKey: string) => string | undefined;

const LISTS = new Set([
  'multi_select',
  'multi_user',
  'work_item_related_multi_select',
  'multi_file',
  'tree_multi_select',
]);
const NUMBERS = new Set(['number', 'date', 'precise_date', 'work_item_related_select']);

function json(text: string): unknown {
  if (!/^[[{]/.test(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function recordValue(values: readonly string[], fieldType?: string): unknown {
  if (fieldType !== undefined && LISTS.has(fieldType)) return values.map(json);
  const [only] = values;
  if (values.length > 1) return values.map(json);
  if (only === undefined) return null;
  if (fieldType === 'bool') return only === 'true';
  if (fieldType !== undefined && NUMBERS.has(fieldType) && /^-?\d+(\.\d+)?$/.test(only)) {
    const n = Number(only);
    return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : only;
  }
  return json(only);
}
