/**
 * The `related` and `parent` facts: work items linked to the event's one, read only when a
 * candidate rule's conditions name them, through the same limited read (and the same batched
 * workItem.query per space and type) as the work item itself.
 *
 * - `related.<relation rule>`: relation.workItemList for each space relation rule the rule
 *   names, then the items themselves (state, fields) in batches of up to 50 ids.
 * - `parent`: the work item read again with `expand.need_parent_workitem` (and
 *   `need_sub_task_parent` for sub-tasks) [sdk]; the parent's type comes from the space's
 *   parent-child work item relation (`GET work_item/relation`, relation_type 1) whose id is the
 *   entry's `relation_uuid` [inferred: the SDK names the field only], or `sub_task_parent_info`.
 */
import { buildApiCall } from '../openapi/catalogue.ts';
import { projectCalls } from '../openapi/project-calls.ts';
import {
  emptyWorkItem,
  idString,
  normalizeWorkItem,
  type FieldMeta,
  type NormalizedWorkItem,
} from '../match/work-item.ts';
import type { ReadData } from './work-item-loader.ts';

export interface ItemRef {
  projectKey: string;
  typeKey: string;
  id: string;
}

/** A linked work item as the facts show it: the `work_item` view without the raw field list. */
export type LinkedItem = Omit<NormalizedWorkItem, 'raw_fields'> & { relation_rule?: string };

export interface LinkedReads {
  read: ReadData;
  queryOne(projectKey: string, typeKey: string, id: string): Promise<unknown>;
  fieldMeta(projectKey: string, typeKey: string): Promise<readonly FieldMeta[]>;
}

/** The expand flags that make workItem.query name the parent [sdk]. */
export const PARENT_EXPAND = { need_parent_workitem: true, need_sub_task_parent: true } as const;

/** `related.<rule>` for each named relation rule: its items, in the order the API lists them. */
export async function readRelated(
  reads: LinkedReads,
  ref: ItemRef,
  relationRules: readonly string[],
): Promise<Record<string, LinkedItem[]>> {
  const related: Record<string, LinkedItem[]> = Object.create(null);
  await Promise.all(
    relationRules.map(async (rule) => {
      const data = await reads.read(projectCalls.relationWorkItems(ref, rule));
      const instances = (Array.isArray(data) ? data : []).map((entry) => entry as Record<string, unknown>);
      related[rule] = await Promise.all(
        instances.map(async (instance) => {
          const linked: ItemRef = {
            projectKey: String(instance.relation_project_key ?? ref.projectKey),
            typeKey: String(instance.relation_work_item_type_key ?? ''),
            id: idString(instance.relation_work_item_id),
          };
          const item = await readOne(reads, linked);
          return {
            ...(item ?? bare(linked, instance.relation_work_item_name)),
            relation_rule: rule,
          };
        }),
      );
    }),
  );
  return related;
}

/** The parent work item, or undefined when it has none (or the API does not say which type it is). */
export async function readParent(reads: LinkedReads, ref: ItemRef): Promise<LinkedItem | undefined> {
  const data = await reads.read(
    projectCalls.queryWorkItems(ref.projectKey, ref.typeKey, [ref.id], undefined, PARENT_EXPAND),
  );
  const raw = (Array.isArray(data) ? data[0] : undefined) as Record<string, unknown> | undefined;
  if (raw === undefined) return undefined;
  const parentRef = await parentOf(reads, ref, raw);
  return parentRef && (await readOne(reads, parentRef));
}

async function parentOf(
  reads: LinkedReads,
  ref: ItemRef,
  raw: Record<string, unknown>,
): Promise<ItemRef | undefined> {
  const subTaskParent = raw.sub_task_parent_info as Record<string, unknown> | undefined;
  if (
    subTaskParent &&
    idString(subTaskParent.work_item_id) !== '' &&
    typeof subTaskParent.work_item_type_key === 'string'
  )
    return {
      projectKey: ref.projectKey,
      typeKey: subTaskParent.work_item_type_key,
      id: idString(subTaskParent.work_item_id),
    };
  const entries = Array.isArray(raw.parent_work_item)
    ? (raw.parent_work_item as Record<string, unknown>[])
    : [];
  const entry = entries[0];
  if (entry === undefined || idString(entry.parent_work_item_id) === '') return undefined;
  const relations = await reads.read(
    buildApiCall('config.workItemRelations', { path: { project_key: ref.projectKey } }),
  );
  const parentKinds = (Array.isArray(relations) ? relations : [])
    .map((r) => r as Record<string, unknown>)
    .filter((r) => r.relation_type === 1 && r.work_item_type_key === ref.typeKey);
  // The relation the entry names; else the type's only parent-child relation.
  const relation =
    parentKinds.find((r) => String(r.id) === String(entry.relation_uuid)) ??
    (parentKinds.length === 1 ? parentKinds[0] : undefined);
  const detail = (Array.isArray(relation?.relation_details) ? relation.relation_details[0] : undefined) as
    Record<string, unknown> | undefined;
  if (typeof detail?.work_item_type_key !== 'string') return undefined;
  return {
    projectKey: typeof detail.project_key === 'string' ? detail.project_key : ref.projectKey,
    typeKey: detail.work_item_type_key,
    id: idString(entry.parent_work_item_id),
  };
}

async function readOne(reads: LinkedReads, ref: ItemRef): Promise<LinkedItem | undefined> {
  if (ref.typeKey === '' || ref.id === '') return undefined;
  const [raw, meta] = await Promise.all([
    reads.queryOne(ref.projectKey, ref.typeKey, ref.id),
    reads.fieldMeta(ref.projectKey, ref.typeKey),
  ]);
  if (raw === undefined) return undefined;
  const { raw_fields: _raw, ...item } = normalizeWorkItem(raw, meta);
  return item;
}

/** An item the API listed as related but did not return (no permission): what the listing said. */
function bare(ref: ItemRef, name: unknown): LinkedItem {
  const { raw_fields: _raw, ...item } = emptyWorkItem({
    id: ref.id,
    name: typeof name === 'string' ? name : '',
    type: ref.typeKey,
    project: ref.projectKey,
  });
  return item;
}
