/**
 * The action catalogue: every action a rule's `do:` may name (docs/design/action-params.md),
 * mapped onto the exact Open API call(s). `buildCalls` gives the calls when they are known at
 * planning time; `resolveDeferred` performs the reads an action needs at execution time
 * (e.g. the workflow for a transition) and returns the final write calls.
 */
import type { ApiCall } from '../plan/run.ts';
import {
  ruleError,
  type ActionContext,
  type BuildResult,
  type Params,
  type ReadApi,
} from './action-context.ts';
import { message, resolveMessage } from './message-action.ts';
import { api, http, reply, updateCard } from './outbound-actions.ts';
import { bind, unbind } from './relation-actions.ts';
import {
  abort,
  assign,
  comment,
  createWorkItem,
  resolveAssign,
  restore,
  updateFields,
} from './work-item-actions.ts';
import {
  completeNode,
  completeSubtask,
  createSubtask,
  resolveTransition,
  rollbackNode,
  transition,
} from './workflow-actions.ts';

export type { ActionContext, ActionTarget, BuildResult, ReadApi } from './action-context.ts';

interface ActionDefinition {
  build(params: Params, ctx: ActionContext): BuildResult;
  /** For actions whose calls depend on data read at execution time. */
  resolve?(params: Params, ctx: ActionContext, read: ReadApi): Promise<ApiCall[]>;
  /** Acts on a work item (the event's or a `target`). */
  workItem: boolean;
}

const ACTIONS = {
  comment: { build: comment, workItem: true },
  transition: { build: transition, resolve: resolveTransition, workItem: true },
  complete_node: { build: completeNode, workItem: true },
  rollback_node: { build: rollbackNode, workItem: true },
  update_fields: { build: updateFields, workItem: true },
  assign: { build: assign, resolve: resolveAssign, workItem: true },
  bind: { build: bind, workItem: true },
  unbind: { build: unbind, workItem: true },
  create_work_item: { build: createWorkItem, workItem: false },
  create_subtask: { build: createSubtask, workItem: true },
  complete_subtask: { build: completeSubtask, workItem: true },
  abort: { build: abort, workItem: true },
  restore: { build: restore, workItem: true },
  reply: { build: reply, workItem: false },
  message: { build: message, resolve: resolveMessage, workItem: false },
  update_card: { build: updateCard, workItem: false },
  http: { build: http, workItem: false },
  api: { build: api, workItem: false },
} as const satisfies Record<string, ActionDefinition>;

export type ActionName = keyof typeof ACTIONS;

export const ACTION_NAMES = Object.keys(ACTIONS) as readonly ActionName[];

/** Actions that need a work item to act on (the event's, or a `target`). */
export const WORK_ITEM_ACTIONS: readonly ActionName[] = ACTION_NAMES.filter((name) => ACTIONS[name].workItem);

export interface ActionInput {
  type: string;
  params: Params;
}

/**
 * The calls of an action whose params are rendered, when they are known without reading live
 * data. Rendered params are data: a value that looks like a template is never looked into.
 */
export function buildCalls(action: ActionInput, ctx: ActionContext): BuildResult {
  return definitionOf(action.type).build(action.params, ctx);
}

/**
 * The final calls of an action at execution time, its params rendered. Performs the reads the
 * action needs through `read`.
 */
export async function resolveDeferred(
  action: ActionInput,
  ctx: ActionContext,
  read: ReadApi,
): Promise<ApiCall[]> {
  const definition: ActionDefinition = definitionOf(action.type);
  if (definition.resolve !== undefined) return definition.resolve(action.params, ctx, read);
  const built = definition.build(action.params, ctx);
  if ('calls' in built) return built.calls;
  throw ruleError(action.type, `cannot resolve: ${built.deferred}`);
}

function definitionOf(type: string): ActionDefinition {
  if (!Object.hasOwn(ACTIONS, type)) {
    throw ruleError(type, `unknown action '${type}' (known: ${ACTION_NAMES.join(', ')})`);
  }
  return ACTIONS[type as ActionName];
}
