/**
 * Operation records → the canonical events the webhook path produces (same types, same change
 * shapes), each with the change id a webhook of the same change carries, so the event log
 * stores the change once. Pure: records, the engine's identity and field types in; events and
 * coded skips out. What a record means is decided by record-mapping.ts alone.
 */
import { changeIdOf } from '../events/change-id.ts';
import type { Change, Event } from '../events/event.ts';
import { OP_RECORDS_SINCE, readOpRecord, type OpRecord, type RecordContent } from './op-record.ts';
import { KNOWN_MODULES, mappingOf, type RecordMapping } from './record-mapping.ts';
import { originOfRecord, type EngineIdentity } from './record-origin.ts';
import { recordValue, type FieldTypeOf } from './record-values.ts';

export type RecordSkipCode = 'AP_RECORD_UNKNOWN' | 'AP_RECORD_ITEM_DELETED' | 'AP_RECORD_TOO_OLD';

/** A record (or one content of it) that makes no event, and why; the reconciler audits each. */
export interface RecordSkip {
  code: RecordSkipCode;
  reason: string;
  projectKey?: string;
  workItemId?: string;
  operationTime?: number;
  module?: string;
  operationType?: string;
  objectType?: string;
}

export interface TranslateOptions {
  engine: EngineIdentity;
  /** The field's type (field_type_key), to type record values again; unknown: values stay text. */
  fieldType?: FieldTypeOf;
  /**
   * Records after this time are not translated (the next round will), but a deletion among
   * them still marks the item's earlier records as deleted since. @defaultValue no limit
   */
  until?: number;
  /** The simple_name of a space (records name spaces by project_key only; rules may use either). */
  simpleName?: (projectKey: string) => string | undefined;
}

export interface Translation {
  events: Event[];
  skips: RecordSkip[];
}

interface Draft {
  type: string;
  change?: Change;
  record: OpRecord;
}

export function translateRecords(raw: readonly unknown[], options: TranslateOptions): Translation {
  const skips: RecordSkip[] = [];
  const records: OpRecord[] = [];
  for (const entry of raw) {
    const read = readOpRecord(entry);
    if ('invalid' in read)
      skips.push({ code: 'AP_RECORD_UNKNOWN', reason: `unreadable record: ${read.invalid}` });
    else records.push(read);
  }
  const deletedAt = deletions(records);
  const drafts: Draft[] = [];
  for (const record of records) {
    if (options.until !== undefined && record.operation_time > options.until) continue;
    const skip = recordSkip(record, deletedAt.get(record.work_item_id));
    if (skip) skips.push(skip);
    else drafts.push(...draftsOf(record, options, skips));
  }
  return { events: merge(drafts, options), skips };
}

/** The earliest deletion of each item among the records. */
function deletions(records: readonly OpRecord[]): Map<string, number> {
  const at = new Map<string, number>();
  for (const r of records) {
    if (r.op_record_module !== 'work_item_mod' || r.operation_type !== 'delete') continue;
    if (!r.record_contents.some((c) => c.object.object_type === 'work_item')) continue;
    at.set(r.work_item_id, Math.min(at.get(r.work_item_id) ?? Infinity, r.operation_time));
  }
  return at;
}

function describe(record: OpRecord): Omit<RecordSkip, 'code' | 'reason'> {
  return {
    projectKey: record.project_key,
    workItemId: record.work_item_id,
    operationTime: record.operation_time,
    module: record.op_record_module,
    operationType: record.operation_type,
  };
}

function recordSkip(record: OpRecord, deletedAt: number | undefined): RecordSkip | undefined {
  const where = describe(record);
  if (record.operation_time < OP_RECORDS_SINCE)
    return { code: 'AP_RECORD_TOO_OLD', reason: 'before 2024-07-02, which the API does not keep', ...where };
  if (!KNOWN_MODULES.has(record.op_record_module))
    return {
      code: 'AP_RECORD_UNKNOWN',
      reason: `unknown op_record_module '${record.op_record_module}'`,
      ...where,
    };
  if (deletedAt !== undefined && record.operation_time < deletedAt)
    return { code: 'AP_RECORD_ITEM_DELETED', reason: 'the work item was deleted since', ...where };
  return undefined;
}

/** A record with no contents still names its kind (terminate, restore) by module and operation. */
function contentsOf(record: OpRecord): RecordContent[] {
  if (record.record_contents.length > 0) return record.record_contents;
  return [{ object: { object_type: '', object_value: '' }, old: [], new: [], add: [], delete: [] }];
}

function draftsOf(record: OpRecord, options: TranslateOptions, skips: RecordSkip[]): Draft[] {
  const drafts: Draft[] = [];
  const fields: Change[] = [];
  const roles: RecordContent[] = [];
  for (const content of contentsOf(record)) {
    const mapping = mappingOf(record.op_record_module, record.operation_type, content.object.object_type);
    if (!mapping) {
      skips.push({
        code: 'AP_RECORD_UNKNOWN',
        reason: `no event for ${record.op_record_module}/${record.operation_type}/${content.object.object_type || '-'}`,
        ...describe(record),
        objectType: content.object.object_type,
      });
      continue;
    }
    if (mapping.kind === 'field') fields.push(fieldChange(record, content, options.fieldType));
    else if (mapping.kind === 'role') roles.push(content);
    else {
      const draft = contentDraft(record, content, mapping);
      if (draft) drafts.push(draft);
    }
  }
  if (fields.length > 0) drafts.push({ type: 'work_item.updated', change: fieldList(fields), record });
  if (roles.length > 0) drafts.push({ type: 'work_item.roles_changed', change: roleChange(roles), record });
  return drafts;
}

function contentDraft(record: OpRecord, content: RecordContent, mapping: RecordMapping): Draft | undefined {
  const id = content.object.object_value;
  const [from, to] = [content.old[0], content.new[0]];
  const draft = (type: string, change?: Change): Draft => ({ type, ...(change ? { change } : {}), record });
  switch (mapping.kind) {
    case 'created':
      return draft('work_item.created');
    case 'deleted':
      return draft('work_item.deleted');
    case 'status':
      return draft('work_item.status_changed', compact({ kind: 'status', from, to }));
    case 'aborted':
      return draft(
        'work_item.aborted',
        compact({ kind: 'aborted', from: false, to: true, reason: to || undefined }),
      );
    case 'restored':
      return draft(
        'work_item.restored',
        compact({ kind: 'aborted', from: true, to: false, reason: to || undefined }),
      );
    case 'comment': {
      const action = { create: 'add', modify: 'modify', delete: 'delete' }[record.operation_type];
      const text = record.operation_type === 'delete' ? from : to;
      return draft('work_item.commented', compact({ kind: 'comment', text, commentId: id, action }));
    }
    case 'node':
    case 'node_completed':
    case 'node_rolled_back': {
      const type = nodeType(mapping.kind, from, to);
      const change = compact({ kind: 'node', nodeId: id, from: status(from), to: status(to) });
      return type ? draft(type, change) : undefined;
    }
    case 'schedule':
      return draft('work_item.updated', compact({ kind: 'schedule', nodeId: id, to: parsed(content.new) }));
    case 'node_owner':
      return draft('work_item.roles_changed', {
        kind: 'role',
        nodeId: id,
        from: content.old,
        to: content.new,
      });
    case 'subtask':
      return draft('subtask.changed', subtaskChange(record, content, mapping));
    default:
      return undefined;
  }
}

/** A node modify is a node reached only when its status went 1 → 2; other node properties have no event. */
function nodeType(
  kind: RecordMapping['kind'],
  from: string | undefined,
  to: string | undefined,
): string | undefined {
  if (kind === 'node_completed') return 'node.completed';
  if (kind === 'node_rolled_back') return 'node.rolled_back';
  return from === '1' && to === '2' ? 'node.reached' : undefined;
}

function status(value: string | undefined): number | undefined {
  return value !== undefined && /^\d$/.test(value) ? Number(value) : undefined;
}

function subtaskChange(record: OpRecord, content: RecordContent, mapping: RecordMapping): Change {
  return compact({
    kind: 'subtask',
    action: mapping.action,
    taskId: content.object.object_value,
    nodeId: content.belong_object?.find((o) => o.object_type === 'node')?.object_value,
    name: content.new[0],
    passed:
      record.operation_type === 'complete' ? true : record.operation_type === 'rollback' ? false : undefined,
  });
}

function fieldChange(record: OpRecord, content: RecordContent, fieldType: FieldTypeOf | undefined): Change {
  // A compound field's sub-field names its field in belong_object: the field is what changed.
  const parent = content.belong_object?.find((o) => o.object_type === 'field')?.object_value;
  const field = parent ?? content.object.object_value;
  const type = fieldType?.(record.project_key, record.work_item_type_key, field);
  if (parent !== undefined) return { field };
  return compact({ field, from: recordValue(content.old, type), to: recordValue(content.new, type) });
}

/** Like the webhook: the first field is the change, all of them in `fields` when several. */
function fieldList(fields: Change[]): Change {
  const unique = fields.filter((f, i) => fields.findIndex((g) => g.field === f.field) === i);
  const [first] = unique;
  return { kind: 'field', ...first, ...(unique.length > 1 ? { fields: unique } : {}) };
}

/** Like the webhook's: the changed roles' owners after and before, and the role itself when only one changed. */
function roleChange(contents: RecordContent[]): Change {
  const roles = Object.fromEntries(contents.map((c) => [c.object.object_value, c.new]));
  const previousRoles = Object.fromEntries(contents.map((c) => [c.object.object_value, c.old]));
  const [only] = contents;
  const single =
    contents.length === 1 && only ? { role: only.object.object_value, from: only.old, to: only.new } : {};
  return { kind: 'role', ...single, roles, previousRoles };
}

function parsed(values: string[]): unknown {
  const [only] = values;
  if (values.length !== 1 || only === undefined) return values.length === 0 ? undefined : values;
  try {
    return JSON.parse(only) as unknown;
  } catch {
    return only;
  }
}

function compact(change: Change): Change {
  return Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined && v !== '')) as Change;
}

/** One event per change id: the contents of records made by one call at one instant are one change. */
function merge(drafts: Draft[], options: TranslateOptions): Event[] {
  const groups = new Map<string, Draft[]>();
  for (const draft of drafts) {
    const id = changeIdOf(basics(draft)) as string;
    groups.set(id, [...(groups.get(id) ?? []), draft]);
  }
  const events = [...groups].map(([id, group]) => toEvent(id, group, options));
  return events.sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
}

function basics(draft: Draft): Pick<Event, 'type' | 'occurredAt' | 'workItem' | 'change'> {
  const { record } = draft;
  return {
    type: draft.type,
    occurredAt: record.operation_time,
    workItem: { id: record.work_item_id, typeKey: record.work_item_type_key },
    ...(draft.change ? { change: draft.change } : {}),
  };
}

function toEvent(id: string, group: Draft[], options: TranslateOptions): Event {
  const [first] = group as [Draft, ...Draft[]];
  const { record } = first;
  const base = basics(first);
  if (group.length > 1 && base.change?.kind === 'field') {
    const list = (c: Change | undefined) => (c?.fields as Change[] | undefined) ?? (c ? [c] : []);
    base.change = fieldList(group.flatMap((d) => list(d.change)));
  }
  const projectName = options.simpleName?.(record.project_key);
  return {
    id,
    source: 'op_record',
    ...base,
    projectKey: record.project_key,
    ...(projectName && projectName !== record.project_key ? { projectName } : {}),
    operator: record.operator,
    changeId: id,
    origin: originOfRecord(record, options.engine),
    payload: { op_records: group.map((d) => d.record).filter((r, i, all) => all.indexOf(r) === i) },
  };
}
