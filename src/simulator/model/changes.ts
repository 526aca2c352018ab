/**
 * What one API call changed, written down twice: an operation record in the tenant (for
 * op_record/work_item/list) and the webhook events Feishu Project would push
 * (webhooks.md §5), collected here and pushed after the call is answered.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookEvent } from '../webhooks/dispatcher.ts';
import { stringify } from './fields.ts';
import type { Tenant } from './tenant.ts';
import type { Comment, OpRecord, RoleOwner, Subtask, WorkItem } from './types.ts';
import type { NodeChange } from './workflow.ts';

/** Who makes a change, as operation records name it (operator_type, and the channel). */
export interface Actor {
  operator: string;
  /** `user` (user token), `plugin` (plugin token with X-USER-KEY), `auto` (an automation rule). */
  operatorType: string;
  /** `plugin` + plugin id, `auto` + automation rule id. */
  sourceType?: string;
  source?: string;
}

export interface FieldChange {
  field_key: string;
  before: unknown;
  after: unknown;
}

const STATUS_CHANGE_TYPE: Record<string, string> = {
  '1>2': 'Reached',
  '2>3': 'Checked',
  '3>2': 'Rollbacked',
};

export class Changes {
  readonly events: WebhookEvent[] = [];
  /** The operation records this call wrote, in order (automation rules react to them). */
  readonly records: OpRecord[] = [];
  readonly actor: Actor;
  readonly now: number;
  private readonly tenant: Tenant;
  private readonly token: string;

  constructor(tenant: Tenant, actor: Actor, now: number, webhookToken: string) {
    this.tenant = tenant;
    this.actor = actor;
    this.now = now;
    this.token = webhookToken;
  }

  private get operator(): string {
    return this.actor.operator;
  }

  created(item: WorkItem): void {
    this.record(item, 'create', 'work_item_mod', [['work_item', String(item.id), [], [item.name]]]);
    const fields = Object.entries(item.fields).map(([field_key, field_value]) => ({
      field_key,
      field_value,
    }));
    this.emit('WorkitemCreateEvent', item, {
      fields,
      work_item_status: { state_key: item.status.state_key },
    });
  }

  /**
   * Field changes go to `field_mod` and one WorkitemUpdateEvent; a change of the role owners is
   * a "role and user" operation (one record content per role changed) and a
   * WorkitemPersonAssignedEvent.
   */
  updated(item: WorkItem, changes: FieldChange[]): void {
    const fields = changes.filter((c) => c.field_key !== 'role_owners');
    if (fields.length > 0) {
      this.record(
        item,
        'modify',
        'field_mod',
        fields.map((c) => ['field', c.field_key, stringify(c.before), stringify(c.after)]),
      );
      const changed_fields = fields.map((c) => ({
        field_key: c.field_key,
        before: c.before,
        after: c.after,
      }));
      this.emit('WorkitemUpdateEvent', item, { changed_fields });
    }
    const roles = changes.find((c) => c.field_key === 'role_owners');
    if (roles) this.rolesChanged(item, roles.before as RoleOwner[], roles.after as RoleOwner[]);
  }

  private rolesChanged(item: WorkItem, before: RoleOwner[], after: RoleOwner[]): void {
    const ownersOf = (list: RoleOwner[], role: string) => list.find((r) => r.role === role)?.owners ?? [];
    const roles = [...new Set([...before, ...after].map((r) => r.role))].filter(
      (role) => JSON.stringify(ownersOf(before, role)) !== JSON.stringify(ownersOf(after, role)),
    );
    if (roles.length === 0) return;
    this.record(
      item,
      'modify',
      'role_and_user_mod',
      roles.map((role) => ['role', role, ownersOf(before, role), ownersOf(after, role)]),
    );
    this.emit('WorkitemPersonAssignedEvent', item, { role_owners: after, pre_role_owners: before });
  }

  statusChanged(item: WorkItem, from: string, to: string): void {
    this.record(item, 'modify', 'work_item_mod', [['work_item_status', String(item.id), [from], [to]]]);
    this.emit('WorkitemStatusEvent', item, {
      pre_work_item_status: { state_key: from },
      cur_work_item_status: { state_key: to },
      work_item_status: { state_key: to },
    });
  }

  nodesChanged(item: WorkItem, changes: NodeChange[], nodeName: (key: string) => string): void {
    for (const change of changes) {
      const type = STATUS_CHANGE_TYPE[`${change.pre_status}>${change.cur_status}`];
      if (!type) continue;
      const operation = type === 'Checked' ? 'complete' : type === 'Rollbacked' ? 'rollback' : 'modify';
      this.record(item, operation, 'node_mod', [
        ['node', change.state_key, [String(change.pre_status)], [String(change.cur_status)]],
      ]);
      this.emit('WorkFlowNodeStatusEvent', item, {
        status_change_type: type,
        nodes: [{ ...change, node_name: nodeName(change.state_key) }],
      });
    }
  }

  nodeAssigned(item: WorkItem, nodeId: string, before: string[], after: string[]): void {
    this.record(item, 'modify', 'role_and_user_mod', [['node_owner', nodeId, before, after]]);
    this.emit('WorkitemPersonAssignedEvent', item, {
      node: { state_key: nodeId, pre_owners: before, cur_owners: after },
    });
  }

  nodeScheduled(item: WorkItem, nodeId: string, schedule: unknown): void {
    this.record(item, 'modify', 'node_mod', [['node_schedule', nodeId, [], stringify(schedule)]]);
    this.emit('WorkFlowNodeScheduleEvent', item, { node: { state_key: nodeId, node_schedule: schedule } });
  }

  aborted(item: WorkItem, isAborted: boolean, reason: string): void {
    this.record(item, isAborted ? 'terminate' : 'restore', 'work_item_mod', [
      ['aborted', String(item.id), [], [reason]],
    ]);
    this.emit(isAborted ? 'WorkitemAbortedEvent' : 'WorkitemRestoreEvent', item, {
      reason,
      is_aborted: isAborted,
    });
  }

  deleted(item: WorkItem): void {
    this.record(item, 'delete', 'work_item_mod', [['work_item', String(item.id), [item.name], []]]);
    this.emit('WorkitemDeleteEvent', item, {});
  }

  commented(item: WorkItem, comment: Comment, action: 'add' | 'modify' | 'delete', previous?: string): void {
    const operation = action === 'add' ? 'create' : action;
    const content = action === 'delete' ? [] : [comment.content];
    const before = action === 'add' ? [] : [previous ?? comment.content];
    this.record(item, operation, 'work_item_mod', [['comment', comment.id, before, content]]);
    this.emit('WorkitemCommentEvent', item, {
      comment: comment.content,
      comment_id: comment.id,
      comment_action: action,
    });
  }

  task(
    item: WorkItem,
    task: Subtask,
    type: 'TaskCreateEvent' | 'TaskUpdateEvent' | 'TaskStatusEvent' | 'TaskDeleteEvent',
  ): void {
    // Confirming or reopening a sub-task is its own operation type in the records (complete / rollback).
    const operation =
      type === 'TaskCreateEvent'
        ? 'create'
        : type === 'TaskDeleteEvent'
          ? 'delete'
          : type === 'TaskStatusEvent'
            ? task.passed
              ? 'complete'
              : 'rollback'
            : 'modify';
    this.record(
      item,
      operation,
      'sub_task_mod',
      [['sub_task', String(task.id), [], [task.name]]],
      [{ object_type: 'node', object_value: task.node_id }],
    );
    this.emit(type, item, {
      sub_task: {
        id: String(task.id),
        name: task.name,
        node_id: task.node_id,
        passed: task.passed,
        assignee: task.assignee,
      },
    });
  }

  relation(item: WorkItem, action: 'add' | 'remove', remoteIds: number[]): void {
    this.record(item, action, 'work_item_mod', [
      [
        'relation',
        String(item.id),
        action === 'remove' ? remoteIds.map(String) : [],
        action === 'add' ? remoteIds.map(String) : [],
      ],
    ]);
  }

  /** Every change moves the item's updated_at/by (the polling cursor). */
  touch(item: WorkItem): void {
    item.updated_at = this.now;
    item.updated_by = this.operator;
  }

  private record(
    item: WorkItem,
    operationType: string,
    module: string,
    contents: [string, string, string[], string[]][],
    belongTo?: { object_type: string; object_value: string }[],
  ): void {
    this.touch(item);
    const { sourceType, source } = this.actor;
    const record: OpRecord = {
      seq: this.tenant.nextOpRecordSeq(),
      project_key: item.project_key,
      work_item_type_key: item.work_item_type_key,
      work_item_id: item.id,
      operation_time: this.now,
      operator: this.operator,
      operator_type: this.actor.operatorType,
      ...(sourceType !== undefined && source !== undefined ? { source_type: sourceType, source } : {}),
      operation_type: operationType,
      op_record_module: module,
      record_contents: contents.map(([type, value, old, next]) => ({
        object: { object_type: type, object_value: value },
        old,
        new: next,
        add: [],
        delete: [],
        ...(belongTo ? { belong_object: belongTo } : {}),
      })),
    };
    this.tenant.data.op_records.push(record);
    this.records.push(record);
  }

  private emit(eventType: string, item: WorkItem, extra: Record<string, unknown>): void {
    const space = this.tenant.findSpace(item.project_key);
    this.events.push({
      header: { event_type: eventType, token: this.token, uuid: randomUUID(), operator: this.operator },
      payload: {
        id: item.id,
        name: item.name,
        project_key: item.project_key,
        project_simple_name: space?.simple_name ?? '',
        work_item_type_key: item.work_item_type_key,
        created_at: item.created_at,
        created_by: item.created_by,
        updated_at: item.updated_at,
        updated_by: item.updated_by,
        ...extra,
      },
    });
  }
}
