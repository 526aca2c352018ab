/**
 * A manual run (`on.manual`): the request checked against the rule, then turned into the
 * `manual.run` event that fires only that rule. Pure: the clock and the request id come in.
 */
import { AutopilotError } from '../../errors.ts';
import { eventIds } from '../../events/event-ids.ts';
import { MANUAL_EVENT_TYPE, type Event } from '../../events/event.ts';
import { isManualTrigger, type Rule } from '../../rules/rule.ts';
import { formatWorkItemRef, parseWorkItemRef, type WorkItemAddress } from './work-item-ref.ts';

export interface ManualRunRequest {
  workItem: WorkItemAddress;
  /** A user_key the event names as its operator (`{{event.operator}}`); none by default. */
  operator?: string;
  /** Who asked, for the audit: `admin-api` unless the caller says (`autopilot run` says `cli`). */
  requestedBy: string;
  /** A UUID the caller chose, so that a retried request is stored once. */
  requestId?: string;
}

const FIELDS = ['work_item', 'operator', 'requested_by', 'request_id'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a manual run's `request_id` is one the engine takes (a UUID, any case). */
export function isManualRequestId(text: string): boolean {
  return UUID.test(text);
}
const MAX_LABEL = 128;

/** The body of `POST /api/rules/<id>/run`; every mistake is `AP_BAD_REQUEST` (or `AP_ID_INVALID`). */
export function readManualRunRequest(body: unknown): ManualRunRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw bad('the body must be a JSON object: {"work_item": "<project>/<type>/<id>"}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) throw bad(`unknown field '${unknown[0]}' (allowed: ${FIELDS.join(', ')})`);
  if (fields.work_item === undefined) throw bad('work_item is required: "<project>/<type>/<id>"');
  const request: ManualRunRequest = {
    workItem: parseWorkItemRef(fields.work_item, 'work_item'),
    requestedBy: label(fields.requested_by, 'requested_by') ?? 'admin-api',
  };
  const operator = label(fields.operator, 'operator');
  if (operator !== undefined) request.operator = operator;
  if (fields.request_id !== undefined) {
    if (typeof fields.request_id !== 'string' || !isManualRequestId(fields.request_id))
      throw bad('request_id must be a UUID');
    request.requestId = fields.request_id.toLowerCase();
  }
  return request;
}

/**
 * The rule a manual run names, or why not: `AP_NOT_FOUND` for no such rule in the running set,
 * `AP_MANUAL_REFUSED` for a rule without `on.manual`, a disabled one, or a work item outside its
 * `project` / `work_item_type` pre-filters (the run would never fire, so it is refused up front).
 */
export function manualRule(rules: ReadonlyMap<string, Rule>, ruleId: string, ref: WorkItemAddress): Rule {
  const rule = rules.get(ruleId);
  if (rule === undefined) throw new AutopilotError('AP_NOT_FOUND', `no rule '${ruleId}' in the running set`);
  if (!isManualTrigger(rule.on)) {
    throw refused(ruleId, `rule '${ruleId}' has no manual trigger: add manual: true to its on`);
  }
  if (!rule.enabled) throw refused(ruleId, `rule '${ruleId}' is disabled (enabled: false)`);
  const { project, work_item_type: types } = rule.on;
  if (project && project.length > 0 && !project.includes(ref.project)) {
    throw refused(
      ruleId,
      `rule '${ruleId}' runs in ${project.join(', ')} only (on.project), not in '${ref.project}'; name the space as the rule does`,
    );
  }
  if (types && types.length > 0 && !types.includes(ref.type)) {
    throw refused(
      ruleId,
      `rule '${ruleId}' runs on ${types.join(', ')} only (on.work_item_type), not on '${ref.type}'`,
    );
  }
  return rule;
}

/** The `manual.run` event: its id is `manual:<uuid>`, its payload names the rule and who asked. */
export function manualEvent(
  rule: Rule,
  request: ManualRunRequest,
  context: { now: number; uuid: string },
): Event {
  const ref = request.workItem;
  const event: Event = {
    id: eventIds.manual(request.requestId ?? context.uuid),
    source: 'manual',
    type: MANUAL_EVENT_TYPE,
    occurredAt: context.now,
    projectKey: ref.project,
    workItem: { id: ref.id, typeKey: ref.type },
    payload: {
      rule_id: rule.id,
      work_item: formatWorkItemRef(ref),
      requested_by: request.requestedBy,
    },
  };
  if (request.operator !== undefined) event.operator = request.operator;
  return event;
}

function label(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LABEL || hasControl(value))
    throw bad(`${name} must be a string of 1 to 128 characters, no control characters`);
  return value;
}

// An audit label is shown on the dashboard and in terminals: no line breaks or escape sequences.
function hasControl(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

function bad(message: string): AutopilotError {
  return new AutopilotError('AP_BAD_REQUEST', message);
}

function refused(ruleId: string, message: string): AutopilotError {
  return new AutopilotError('AP_MANUAL_REFUSED', message, { ruleId });
}
