/**
 * One operation record of `op_record/work_item/list` (data-structures.md §12), read leniently:
 * ids arrive as numbers or (through the lossless client) strings, values are stringified.
 */

export interface RecordObject {
  object_type: string;
  object_value: string;
}

export interface RecordContent {
  object: RecordObject;
  object_property?: string;
  old: string[];
  new: string[];
  add: string[];
  delete: string[];
  /** The object this one belongs to (a compound field's sub-field names its field). */
  belong_object?: RecordObject[];
}

export interface OpRecord {
  project_key: string;
  work_item_type_key: string;
  work_item_id: string;
  operation_time: number;
  operator: string;
  /** user, auto, system, calc_field, plugin, others */
  operator_type: string;
  /** auto (with the automation rule id) or plugin (with the plugin id). */
  source_type?: string;
  source?: string;
  operation_type: string;
  op_record_module: string;
  record_contents: RecordContent[];
}

/** Feishu Project keeps no operation records before this day (the API's own limit). */
export const OP_RECORDS_SINCE = Date.UTC(2024, 6, 2);

/** The longest window one request may ask for (20013 beyond). */
export const MAX_WINDOW_MS = 7 * 24 * 3600_000;

const text = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'bigint'
      ? String(value)
      : undefined;

const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(text).filter((v): v is string => v !== undefined) : [];

function object(value: unknown): RecordObject | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const type = text(o.object_type);
  return type === undefined ? undefined : { object_type: type, object_value: text(o.object_value) ?? '' };
}

function content(value: unknown): RecordContent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  const target = object(c.object);
  if (!target) return undefined;
  const out: RecordContent = {
    object: target,
    old: texts(c.old),
    new: texts(c.new),
    add: texts(c.add),
    delete: texts(c.delete),
  };
  const property = text(c.object_property);
  if (property !== undefined && property !== '') out.object_property = property;
  const belong = Array.isArray(c.belong_object)
    ? c.belong_object.map(object).filter((o) => o !== undefined)
    : [];
  if (belong.length > 0) out.belong_object = belong;
  return out;
}

/** A raw record as the API returned it, or the reason it cannot be read at all. */
export function readOpRecord(raw: unknown): OpRecord | { invalid: string } {
  if (typeof raw !== 'object' || raw === null) return { invalid: 'not an object' };
  const r = raw as Record<string, unknown>;
  const id = text(r.work_item_id);
  const time = typeof r.operation_time === 'number' ? r.operation_time : Number(text(r.operation_time));
  if (id === undefined || !/^\d{1,19}$/.test(id)) return { invalid: 'no work_item_id' };
  if (!Number.isSafeInteger(time) || time <= 0) return { invalid: 'no operation_time' };
  const record: OpRecord = {
    project_key: text(r.project_key) ?? '',
    work_item_type_key: text(r.work_item_type_key) ?? '',
    work_item_id: id,
    operation_time: time,
    operator: text(r.operator) ?? '',
    operator_type: text(r.operator_type) ?? '',
    operation_type: text(r.operation_type) ?? '',
    op_record_module: text(r.op_record_module) ?? '',
    record_contents: Array.isArray(r.record_contents)
      ? r.record_contents.map(content).filter((c) => c !== undefined)
      : [],
  };
  const sourceType = text(r.source_type);
  const source = text(r.source);
  if (sourceType) record.source_type = sourceType;
  if (source) record.source = source;
  return record;
}
