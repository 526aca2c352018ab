/**
 * What one API call changed, written down twice: an operation record in the tenant (for
 * op_record/work_item/list) and the webhook events Feishu Project would push
 * (webhooks.md §5), collected here and pushed after the call is answered.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookEvent } from '../webhooks/dispatcher.ts';
import { stringify } from './fields.ts';
import type { Tenant } from './tenant.ts';
import type { Comment, OpRecord, Subtask, WorkItem } from './types.ts';
import type { NodeChange } from './workflow.ts';

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
  private readonly tenant: Tenant;
  private readonly operator: string;
  private readonly operatorType: string;
  private readonly now: number;
  private readonly token: string;

  constructor(tenant: Tenant, operator: string, operatorType: string, now: number, webhookToken: string) {
    this.tenant = tenant;
    this.operator = operator;
    this.operatorType = operatorType;
    this.now = now;
    this.token = webhookToken;
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

  updated(item: WorkItem, changes: FieldChange[]): void {
    if (changes.length === 0) return;
    this.record(
      item,
      'modify',
      'field_mod',
      changes.map((c) => ['field', c.field_key, stringify(c.before), stringify(c.after)]),
    );
    const changed_fields = changes.map((c) => ({ field_key: c.field_key, before: c.before, after: c.after }));
    this.emit('WorkitemUpdateEvent', item, { changed_fields });
    const roles = changes.find((c) => c.field_key === 'role_owners');
    if (roles)
      this.emit('WorkitemPersonAssignedEvent', item, {
        role_owners: roles.after,
        pre_role_owners: roles.before,
      });
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

  commented(item: WorkItem, comment: Comment, action: 'add' | 'modify' | 'delete'): void {
    this.touch(item);
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
    const operation =
      type === 'TaskCreateEvent' ? 'create' : type === 'TaskDeleteEvent' ? 'delete' : 'modify';
    this.record(item, operation, 'sub_task_mod', [['sub_task', String(task.id), [], [task.name]]]);
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
  ): void {
    this.touch(item);
    const record: OpRecord = {
      seq: this.tenant.nextOpRecordSeq(),
      project_key: item.project_key,
      work_item_type_key: item.work_item_type_key,
      work_item_id: item.id,
      operation_time: this.now,
      operator: this.operator,
      operator_type: this.operatorType,
      operation_type: operationType,
      op_record_module: module,
      record_contents: contents.map(([type, value, old, next]) => ({
        object: { object_type: type, object_value: value },
        old,
        new: next,
        add: [],
        delete: [],
      })),
    };
    this.tenant.data.op_records.push(record);
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
