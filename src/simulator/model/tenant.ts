/**
 * The tenant's state with the look-ups every route needs. Look-ups throw the error the real
 * API answers when the thing is missing, so handlers read as the happy path.
 */
import { fail } from '../http/sim-error.ts';
import type { FieldDef, Space, Template, TenantData, User, WorkItem, WorkItemType } from './types.ts';

export class Tenant {
  data: TenantData;

  constructor(data: TenantData) {
    this.data = data;
  }

  /** Replace the whole state (reset, snapshot load) keeping this object's identity. */
  replace(data: TenantData): void {
    this.data = data;
  }

  findUser(userKey: string): User | undefined {
    return this.data.users.find((u) => u.user_key === userKey);
  }

  /** `project_key` accepts the space id or its simple_name everywhere. */
  findSpace(key: string): Space | undefined {
    return this.data.spaces.find((s) => s.project_key === key || s.simple_name === key);
  }

  space(key: string): Space {
    const space = this.findSpace(key);
    if (!space) throw fail(30001, `project ${key} not found`);
    return space;
  }

  type(space: Space, typeKey: string): WorkItemType {
    const type = this.data.types.find((t) => t.project_key === space.project_key && t.type_key === typeKey);
    if (!type) throw fail(30014, `work item type ${typeKey} not found or no permission`);
    return type;
  }

  template(templateId: number): Template {
    const template = this.data.templates.find((t) => t.template_id === templateId);
    if (!template) throw fail(50006, 'template not found');
    return template;
  }

  /** A live work item of this space and type; deleted, foreign or mistyped ids are 30005. */
  item(space: Space, typeKey: string, id: number): WorkItem {
    const item = this.data.work_items.find((w) => w.id === id && !w.deleted);
    if (!item || item.project_key !== space.project_key || item.work_item_type_key !== typeKey) {
      throw fail(30005, `work item ${id} not found`);
    }
    return item;
  }

  /** Same, without a type in the path (transition_required_info, freeze, op records). */
  itemInSpace(space: Space, id: number): WorkItem {
    const item = this.data.work_items.find((w) => w.id === id && !w.deleted);
    if (!item || item.project_key !== space.project_key) throw fail(30005, `work item ${id} not found`);
    return item;
  }

  itemById(id: number): WorkItem | undefined {
    return this.data.work_items.find((w) => w.id === id && !w.deleted);
  }

  fieldsOf(projectKey: string, typeKey?: string): FieldDef[] {
    return this.data.fields.filter(
      (f) => f.project_key === projectKey && (typeKey === undefined || f.work_item_scopes.includes(typeKey)),
    );
  }

  /** A field by key or alias, scoped to the item's type. */
  field(projectKey: string, typeKey: string, keyOrAlias: string): FieldDef | undefined {
    return this.fieldsOf(projectKey, typeKey).find(
      (f) => f.field_key === keyOrAlias || (f.field_alias !== '' && f.field_alias === keyOrAlias),
    );
  }

  nextWorkItemId(): number {
    this.data.counters.work_item += 1;
    return this.data.counters.work_item;
  }

  nextSubtaskId(): number {
    this.data.counters.subtask += 1;
    return this.data.counters.subtask;
  }

  /** Comment ids are 19-digit decimals: counted with BigInt, stored as strings. */
  nextCommentId(): string {
    const next = (BigInt(this.data.counters.comment) + 1n).toString();
    this.data.counters.comment = next;
    return next;
  }

  nextOpRecordSeq(): number {
    this.data.counters.op_record += 1;
    return this.data.counters.op_record;
  }
}
