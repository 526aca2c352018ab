/**
 * What an action builder needs besides its params: the event (for the default target and the
 * chat message to reply to) and, when loaded, the work item (current state, field types).
 * Also the readers for rendered params, which report a wrong param as an error of the rule.
 */
import { AutopilotError } from '../errors.ts';
import { isWorkItemId } from '../ingest/ids.ts';
import type { Event } from '../events/event.ts';
import type { ApiCall } from '../plan/run.ts';
import type { FieldMeta, NormalizedWorkItem } from '../match/work-item.ts';
import type { PeopleDirectory } from '../people/people-directory.ts';

export interface ActionContext {
  event: Event;
  /** The work item fact, when it was loaded (live) or read from the payload. */
  workItem?: Partial<NormalizedWorkItem>;
  /** Field keys, aliases and types, e.g. from the type's meta; improves field value conversion. */
  fieldMeta?: readonly FieldMeta[];
  /** The action's idempotency key: messages derive one Lark `uuid` per recipient from it. */
  idempotencyKey?: string;
  /** Who user keys are (cached user/query), for messages to people and @mentions. */
  people?: PeopleDirectory;
  /** Lark sends already answered, by uuid: a retried message skips their recipients. */
  sent?: { has(uuid: string): boolean };
  /** Web address of Feishu Project, for links to work items. @defaultValue https://project.feishu.cn */
  projectUrl?: string;
}

/** The work item an action writes to. */
export interface ActionTarget {
  project: string;
  type: string;
  id: string;
}

/** The calls are known now, or only at execution time (and why). */
export type BuildResult = { calls: ApiCall[] } | { deferred: string };

/** Performs one read call and returns the envelope's `data`. */
export type ReadApi = (call: ApiCall) => Promise<unknown>;

export type Params = Readonly<Record<string, unknown>>;

export function ruleError(
  action: string,
  message: string,
  details: Record<string, unknown> = {},
): AutopilotError {
  return new AutopilotError('AP_RULE_INVALID', `${action}: ${message}`, { action, ...details });
}

/** `target: {project, type, id}` in the params, each part defaulting to the event's work item. */
export function resolveTarget(action: string, params: Params, ctx: ActionContext): ActionTarget {
  const given = (params.target ?? {}) as Record<string, unknown>;
  if (given.id !== undefined) requireOneId(action, given.id);
  const target = {
    project: text(given.project) ?? ctx.event.projectKey ?? ctx.workItem?.project,
    type: text(given.type) ?? ctx.event.workItem?.typeKey ?? ctx.workItem?.type,
    id: text(given.id) ?? ctx.event.workItem?.id ?? ctx.workItem?.id,
  };
  const { project, type, id } = target;
  if (!project || !type || !id) {
    throw ruleError(action, 'needs a work item: the event carries none and no complete target is given', {
      target,
    });
  }
  return { project, type, id };
}

/**
 * A given `target.id` is one work item id. A list (a role's owners, a look-up's items) or text
 * used to fall back silently to the event's own work item, so the write landed on the wrong one.
 */
function requireOneId(action: string, id: unknown): void {
  if (Array.isArray(id)) {
    throw new AutopilotError(
      'AP_TARGET_INVALID',
      `${action}: target.id is a list of ${id.length} where one work item id is expected; iterate with for_each`,
      { action },
    );
  }
  const asText = text(id);
  if (asText === undefined || !isWorkItemId(asText)) {
    throw new AutopilotError(
      'AP_TARGET_INVALID',
      `${action}: target.id ${JSON.stringify(clipped(id))} is not a work item id (a positive integer below 2^63)`,
      { action },
    );
  }
}

function clipped(value: unknown): unknown {
  return typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

export function requiredString(action: string, params: Params, key: string): string {
  const value = text(params[key]);
  if (value === undefined)
    throw ruleError(action, `'${key}' is required and must be a non-empty string`, { param: key });
  return value;
}

export function optionalString(action: string, params: Params, key: string): string | undefined {
  if (params[key] === undefined) return undefined;
  return requiredString(action, params, key);
}

/** A list of user_keys; a single string counts as a list of one. */
export function userList(
  action: string,
  params: Params,
  key: string,
  required: boolean,
): string[] | undefined {
  const value = params[key];
  if (value === undefined && !required) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((u) => typeof u !== 'string' || u === '')) {
    throw ruleError(action, `'${key}' must be a user_key or a list of user_keys`, { param: key });
  }
  return list as string[];
}

export function optionalMap(
  action: string,
  params: Params,
  key: string,
): Record<string, unknown> | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw ruleError(action, `'${key}' must be a map`, { param: key });
  }
  return value as Record<string, unknown>;
}
