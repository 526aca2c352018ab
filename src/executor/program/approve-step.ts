/**
 * `approve:` the first time it is reached, posts a card with Approve / Reject to its recipients
 * (the `message` action's sending: one Lark send per recipient, each with its own uuid), writes
 * the open approval record (src/approvals/approval-record.ts) and parks the run until the
 * timeout. A click from an approver closes the record and resumes the run (the engine's click
 * handler, src/approvals/approval-clicks.ts); the timeout closes it here. Either way the step
 * then updates the cards in place with the decision and ends: approved (and a timeout with
 * `on_timeout: continue`) goes on with `decision` and `approver` as its result, rejected (and a
 * timeout with `on_timeout: reject`) stops the run quietly.
 */
import {
  approvalKey,
  closeApproval,
  decisionTime,
  readApproval,
  type ClosedApproval,
  type OpenApproval,
} from '../../approvals/approval-record.ts';
import { cardParams, decidedCard, sentCard, type ApprovalCard } from '../../approvals/approval-card.ts';
import { AutopilotError } from '../../errors.ts';
import type { ApiCall, PlannedAction } from '../../plan/run.ts';
import { parseDuration } from '../../rules/duration.ts';
import type { StateStore } from '../../store/ports.ts';
import { renderParams, rootsRead } from '../../templates/render.ts';
import { attemptCall } from '../attempt.ts';
import type { RenderedAction } from '../ports.ts';
import { attempted } from '../run-action.ts';
import { writeKey } from '../step-results.ts';
import type { ProgramContext, StepEnd, StepKind, StepNode } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { plannedView } from './planned-view.ts';
import { attemptOf } from './recheck.ts';

const USER_KEY = /^\d{1,24}$/;
export const DEFAULT_APPROVAL_TIMEOUT = '24h';

/** What the step keeps in its progress between the send and the decision. */
interface ApprovalState extends ApprovalCard {
  until: number;
  approvers: string[];
  messages: string[];
}

type Store = Pick<StateStore, 'get' | 'compareAndSet'>;

export const approveStep: StepKind = async (ctx, node, progress, scope) => {
  const store = stateOf(ctx);
  const key = approvalKey(ctx.run.id, node.path);
  let state = progress.state as ApprovalState | undefined;
  if (state === undefined) {
    const posted = await post(ctx, node, scope);
    if ('end' in posted) return posted.end;
    state = posted.state;
    progress.state = state as unknown as Record<string, unknown>;
    await ctx.save();
    await store.compareAndSet(key, undefined, openRecord(state));
    await ctx.deps.audit.runParked(ctx.run, plannedView(node), state.until);
    return { kind: 'park', until: state.until, afterPark: () => resumeIfDecided(ctx, store, key) };
  }
  const wake = ctx.takeWake();
  let record = await readApproval(store, key);
  if (record === undefined) {
    // Crashed between the progress save and the record: the card is out, the record not yet.
    await store.compareAndSet(key, undefined, openRecord(state));
    record = await readApproval(store, key);
  }
  if (record?.status === 'open' && ctx.deps.now() >= state.until) {
    record = (await closeApproval(store, key, (open) => timedOut(open, ctx.deps.now()))).record;
  }
  if (record?.status !== 'decided') {
    // Claimed before its time without a decision (a released lease): park again.
    return { kind: 'park', until: state.until, afterPark: () => resumeIfDecided(ctx, store, key) };
  }
  if (wake) await ctx.deps.audit.runWoken(ctx.run, plannedView(node), wake);
  const updated = await updateCards(ctx, node, state, record);
  if (updated) return updated;
  return ending(node, record);
};

function stateOf(ctx: ProgramContext): Store {
  const state = ctx.deps.program.state;
  if (!state?.compareAndSet) {
    throw new AutopilotError('AP_INTERNAL', 'approve: the executor was given no state store');
  }
  return state as Store;
}

function openRecord(state: ApprovalState): OpenApproval {
  return {
    status: 'open',
    approvers: state.approvers,
    until: state.until,
    messages: state.messages,
    title: state.title,
  };
}

function timedOut(open: OpenApproval, at: number): ClosedApproval {
  return { ...open, status: 'decided', decision: 'timed_out', at };
}

/** A click that closed the record while the run was still on its way to parking resumes it now. */
async function resumeIfDecided(ctx: ProgramContext, store: Store, key: string): Promise<void> {
  const record = await readApproval(store, key);
  if (record?.status === 'decided') await ctx.deps.runs.resume(ctx.run.id, { data: {} }, ctx.deps.now());
}

/** Renders the step, posts the card to every recipient, and gives the state to keep. */
async function post(
  ctx: ProgramContext,
  node: StepNode,
  scope: Scope,
): Promise<{ state: ApprovalState } | { end: StepEnd }> {
  const view = plannedView(node);
  const sent = await attempted(ctx.deps, attemptOf(ctx, node), async (read, attempt) => {
    const { params } = node.step;
    const table = await ctx.facts.table(rootsRead(params), scope, read, ctx.rule);
    const rendered = renderParams(params, table);
    const state = stateFrom(rendered, ctx.deps.now());
    const message: RenderedAction = {
      params: { to: rendered.to, card: cardParams(state, ctx.run.id, node.path) },
      event: await ctx.facts.event(),
    };
    if (table.work_item) message.workItem = table.work_item as NonNullable<RenderedAction['workItem']>;
    const asMessage: PlannedAction = { ...view, type: 'message' };
    const calls = await ctx.deps.resolve(asMessage, {
      run: ctx.run,
      steps: scope.steps,
      read,
      rendered: message,
    });
    state.posted = sentCard(calls);
    let writes = 0;
    for (const call of calls) {
      const done = await attemptCall(ctx.deps, attempt, call, writeKey(view, writes++));
      const id = (done.data as { message_id?: unknown } | undefined)?.message_id;
      if (typeof id === 'string') state.messages.push(id);
    }
    return state;
  });
  return sent.ok ? { state: sent.value } : { end: sent.end };
}

function stateFrom(rendered: Record<string, unknown>, now: number): ApprovalState {
  const approvers = [rendered.approvers]
    .flat(3)
    .map((a) => (typeof a === 'number' && Number.isSafeInteger(a) ? String(a) : a));
  const bad = approvers.find((a) => typeof a !== 'string' || !USER_KEY.test(a));
  if (bad !== undefined) {
    throw new AutopilotError(
      'AP_APPROVAL_APPROVERS',
      `approve: approvers must be Feishu Project user keys, got ${JSON.stringify(bad)}`,
      { approvers: rendered.approvers },
    );
  }
  if (approvers.length === 0) {
    throw new AutopilotError(
      'AP_APPROVAL_APPROVERS',
      "approve: 'approvers' names nobody (an empty role or list?)",
      { approvers: rendered.approvers },
    );
  }
  const timeout = parseDuration(String(rendered.timeout ?? DEFAULT_APPROVAL_TIMEOUT));
  const card: Record<string, unknown> = {};
  if (typeof rendered.text === 'string') card.text = rendered.text;
  if (rendered.fields !== undefined) card.fields = rendered.fields;
  if (rendered.open !== undefined) card.open = rendered.open;
  return {
    until: now + timeout,
    approvers: [...new Set(approvers as string[])],
    title: String(rendered.title),
    ...(typeof rendered.color === 'string' ? { color: rendered.color } : {}),
    timeZone: timeZoneOf(rendered.timezone),
    messages: [],
    card,
  };
}

/** A zone the decided card can be shown in, checked before anything is sent. */
function timeZoneOf(value: unknown): string {
  if (value === undefined) return 'UTC';
  try {
    decisionTime(0, String(value));
    return String(value);
  } catch {
    throw new AutopilotError('AP_RULE_INVALID', `approve: unknown time zone ${JSON.stringify(value)}`, {
      timezone: value,
    });
  }
}

/** PATCHes each posted card; the same content every time, so a retry changes nothing twice. */
async function updateCards(
  ctx: ProgramContext,
  node: StepNode,
  state: ApprovalState,
  record: ClosedApproval,
): Promise<StepEnd | undefined> {
  const content = JSON.stringify(decidedCard(state, record));
  const updated = await attempted(ctx.deps, attemptOf(ctx, node), async (_read, attempt) => {
    for (const id of state.messages) await attemptCall(ctx.deps, attempt, cardUpdate(id, content));
  });
  return updated.ok ? undefined : updated.end;
}

function cardUpdate(messageId: string, content: string): ApiCall {
  return {
    operation: 'lark.message.update',
    method: 'PATCH',
    path: `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}`,
    body: { content },
    write: true,
  };
}

function ending(node: StepNode, record: ClosedApproval): StepEnd {
  const data = {
    decision: record.decision,
    decided_at: record.at,
    ...(record.approver ? { approver: record.approver } : {}),
  };
  const continueOnTimeout = node.step.params.on_timeout === 'continue';
  if (record.decision === 'approved' || (record.decision === 'timed_out' && continueOnTimeout)) {
    return { kind: 'done', outcome: 'done', data };
  }
  const reason = record.decision === 'rejected' ? 'approval rejected' : 'approval timed out';
  return { kind: 'skip_run', reason, detail: data };
}
