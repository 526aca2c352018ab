/**
 * Feishu Project webhook body → canonical Event. Pure: the clock comes in as `receivedAt`.
 * The token is not checked here (the HTTP route does that with `extractWebhookToken`) and is
 * never copied into the event.
 */
import { AutopilotError } from '../../errors.ts';
import type { Change, Event, WorkItemRef } from '../../events/event.ts';
import {
  abortChange,
  commentChange,
  fieldChange,
  roleChange,
  scheduleChange,
  statusChange,
  subtaskChange,
} from './changes.ts';
import { bodyHashId } from './event-id.ts';
import { nodeChange, nodeTransition } from './node-changes.ts';
import { ENGINE_TYPE_OF_KIND, legacyKind, NEW_EVENT_KINDS, type FeishuKind } from './event-kinds.ts';
import { eventIds } from '../../events/event-ids.ts';
import { requireDeliveryId, requireWorkItemId } from '../ids.ts';
import { asId, asMillis, asObject, pick, pickId, pickString, type Obj } from './read.ts';

export interface NormalizeOptions {
  /** When the delivery arrived (epoch ms); the event's time when the payload has none. */
  receivedAt: number;
}

/** What both formats reduce to before the common steps. */
interface Delivery {
  format: 'new' | 'legacy';
  eventType: string;
  kind: FeishuKind;
  /** Type key named by a legacy event name, used when the payload has none. */
  typeKeyHint: string | undefined;
  uuid: string | undefined;
  operator: string | undefined;
  payload: Obj;
}

function invalid(message: string, details?: Record<string, unknown>): AutopilotError {
  return new AutopilotError('AP_EVENT_INVALID', message, details);
}

/** The new format: `{header: {event_type, token, uuid, operator}, payload: {...}}`. */
export function isNewFormat(body: Obj): boolean {
  return asObject(body.header) !== undefined && typeof asObject(body.header)?.event_type === 'string';
}

function readNewFormat(body: Obj): Delivery {
  const header = asObject(body.header) ?? {};
  const eventType = pickString(header, 'event_type') ?? '';
  const kind = NEW_EVENT_KINDS[eventType];
  if (!kind) {
    throw invalid(
      `unsupported Feishu event_type '${eventType}' (known: ${Object.keys(NEW_EVENT_KINDS).join(', ')})`,
      {
        eventType,
      },
    );
  }
  return {
    format: 'new',
    eventType,
    kind,
    typeKeyHint: undefined,
    uuid: pickId(header, 'uuid', 'event_id'),
    operator: pickId(header, 'operator', 'operator_key'),
    payload: asObject(body.payload) ?? {},
  };
}

/** The legacy format: a flat body named by `eventType`; the token came in an HTTP header. */
function readLegacyFormat(body: Obj): Delivery {
  const eventType = pickString(body, 'eventType', 'event_type', 'type') ?? '';
  const legacy = legacyKind(eventType);
  if (!legacy) throw invalid(`unsupported Feishu legacy eventType '${eventType}'`, { eventType });
  // Some receivers saw the data nested under `payload` or `data`; the rest is flat.
  const nested = asObject(body.payload) ?? asObject(body.data);
  const { token: _token, ...flat } = body;
  return {
    format: 'legacy',
    eventType,
    kind: legacy.kind,
    typeKeyHint: legacy.typeKey,
    uuid: pickId(body, 'uuid', 'event_id', 'eventId'),
    operator: pickId(body, 'operator', 'operator_key', 'operatorKey') ?? pickId(nested, 'operator'),
    payload: nested ? { ...nested } : flat,
  };
}

function workItemOf(delivery: Delivery): WorkItemRef | undefined {
  const p = delivery.payload;
  // A sub-task event may name its parent work item separately from the task itself.
  const keys = delivery.kind.startsWith('task_')
    ? ['work_item_id', 'workItemId', 'id']
    : ['id', 'work_item_id', 'workItemId', 'story_id'];
  const key = keys.find((k) => asId(p[k]) !== undefined);
  // Checked even without a type key: whatever names the work item goes to the API as an int64.
  const id = key === undefined ? undefined : requireWorkItemId(asId(p[key]) as string, `payload.${key}`);
  const typeKey =
    pickString(p, 'work_item_type_key', 'workItemTypeKey', 'work_item_type') ?? delivery.typeKeyHint;
  return id !== undefined && typeKey !== undefined ? { id, typeKey } : undefined;
}

interface Typed {
  type: string;
  change: Change | undefined;
}

function typeAndChange(delivery: Delivery): Typed {
  const { kind, payload: p } = delivery;
  const typed = (k: Exclude<FeishuKind, 'node'>, change: Change | undefined): Typed => ({
    type: ENGINE_TYPE_OF_KIND[k],
    change,
  });
  switch (kind) {
    case 'node': {
      const transition = nodeTransition(p);
      // No sub-kind readable: still "something happened to the item's workflow"; an update
      // of kind `node` lets rules re-read the workflow instead of dropping the event.
      if (!transition) return { type: 'work_item.updated', change: nodeChange(p, undefined) };
      return typed(transition, nodeChange(p, transition));
    }
    case 'node_reached':
    case 'node_completed':
    case 'node_rolled_back':
      return typed(kind, nodeChange(p, kind));
    case 'created':
    case 'deleted':
      return typed(kind, undefined);
    case 'updated':
      return typed(kind, fieldChange(p));
    case 'status':
      return typed(kind, statusChange(p));
    case 'finished':
      return typed(kind, statusChange(p, true));
    case 'commented':
      return typed(kind, commentChange(p));
    case 'aborted': {
      // The legacy format has one "terminated" event for both directions.
      const restored = delivery.format === 'legacy' && (p.is_aborted === false || p.aborted === false);
      return restored ? typed('restored', abortChange(p, false)) : typed(kind, abortChange(p, true));
    }
    case 'restored':
      return typed(kind, abortChange(p, false));
    case 'roles':
    case 'node_owner':
      return typed(kind, roleChange(p, kind === 'node_owner'));
    case 'task_created':
      return typed(kind, subtaskChange(p, 'created'));
    case 'task_updated':
      return typed(kind, subtaskChange(p, 'updated'));
    case 'task_status':
      return typed(kind, subtaskChange(p, 'status'));
    case 'task_deleted':
      return typed(kind, subtaskChange(p, 'deleted'));
    case 'schedule':
      return typed(kind, scheduleChange(p));
  }
}

/** Normalizes a Feishu Project webhook body, new or legacy format. Throws AP_EVENT_INVALID when unusable. */
export function normalizeFeishuWebhook(body: unknown, options: NormalizeOptions): Event {
  const object = asObject(body);
  if (!object) throw invalid(`a Feishu webhook body must be a JSON object, got ${describe(body)}`);
  if (!isNewFormat(object) && pickString(object, 'eventType', 'event_type', 'type') === undefined) {
    throw invalid(
      'not a Feishu webhook: neither header.event_type (new format) nor eventType (legacy format) is set',
    );
  }
  const delivery = isNewFormat(object) ? readNewFormat(object) : readLegacyFormat(object);
  const p = delivery.payload;
  const { type, change } = typeAndChange(delivery);
  const workItem = workItemOf(delivery);
  const event: Event = {
    id: eventIds.feishu(
      delivery.uuid === undefined
        ? bodyHashId(body)
        : requireDeliveryId(delivery.uuid, delivery.format === 'new' ? 'header.uuid' : 'uuid'),
    ),
    source: 'feishu',
    type,
    occurredAt: pick(p, ['updated_at', 'created_at'], asMillis) ?? options.receivedAt,
    payload: p,
  };
  const projectKey = pickString(p, 'project_key', 'projectKey', 'project_simple_name', 'simple_name');
  if (projectKey !== undefined) event.projectKey = projectKey;
  const projectName = pickString(p, 'project_simple_name', 'simple_name');
  if (projectName !== undefined && projectName !== projectKey) event.projectName = projectName;
  if (workItem) event.workItem = workItem;
  const operator = delivery.operator ?? pickId(p, 'operator', 'updated_by', 'created_by');
  if (operator !== undefined) event.operator = operator;
  if (change) event.change = change;
  // The payload last, so a printed event reads summary first.
  const { payload, ...summary } = event;
  return { ...summary, payload };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}
