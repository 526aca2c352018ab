/**
 * A digest's flush run: parked until its window's end (a `wait_until`, as any parked run), then
 * `digest_send` closes the digest and sends what it collected as one Lark message. Its id comes
 * from the digest's identity, so every collecting run enqueues the same one. Closing is one
 * atomic change recorded with the step's key: a retry after a crash reads back the same items,
 * and the send's `uuid` (the digest's own) makes Lark post it once.
 */
import {
  digestEventId,
  digestKey,
  digestText,
  digestUuid,
  type DigestRef,
  type DigestWindow,
} from '../../actions/digest.ts';
import { larkSendCall } from '../../actions/message-action.ts';
import { AutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import type { LarkReceiver } from '../../people/person.ts';
import { idempotencyKey, runId } from '../../plan/idempotency.ts';
import type { Run } from '../../plan/run.ts';
import type { DigestList } from '../../store/ports.ts';
import { runAction } from '../run-action.ts';
import type { StepKind } from './context.ts';
import { plannedView } from './planned-view.ts';

/** The step type of a flush run's send; never written in rules (the schema has no such step). */
export const DIGEST_SEND = 'digest_send';

/** The run that sends the digest `ref` at its window's end, for the rule of `source`. */
export function flushRun(source: Run, ref: DigestRef, now: number): Run {
  const eventId = digestEventId(ref);
  const key = (index: number) => idempotencyKey(eventId, ref.ruleId, source.ruleVersion, index);
  const { receiver, window } = ref;
  const event: Event = {
    id: eventId,
    source: 'schedule',
    type: 'digest.due',
    occurredAt: window.end,
    payload: { digest: { rule: ref.ruleId, to: receiver, window } },
  };
  if (source.event?.projectKey) event.projectKey = source.event.projectKey;
  return {
    id: runId(eventId, ref.ruleId),
    eventId,
    ruleId: ref.ruleId,
    ruleVersion: source.ruleVersion,
    mode: 'live',
    lane: `digest:${receiver.type}:${receiver.id}`,
    priority: 'background',
    createdAt: now,
    event,
    actions: [
      {
        index: 0,
        type: 'wait_until',
        render: 'plan',
        params: { at: String(window.end) },
        recheck: false,
        idempotencyKey: key(0),
      },
      {
        index: 1,
        type: DIGEST_SEND,
        render: 'plan',
        params: { to: receiver, window },
        recheck: false,
        idempotencyKey: key(1),
      },
    ],
  };
}

export const digestSendStep: StepKind = async (ctx, node) => {
  const { to, window } = node.step.params as { to: LarkReceiver; window: DigestWindow };
  const ref: DigestRef = { ruleId: ctx.run.ruleId, receiver: to, window };
  const state = ctx.deps.program.state;
  if (!state) throw new AutopilotError('AP_INTERNAL', 'digest: the executor was given no state store');
  const closed = await state.updateVar(digestKey(ref), { kind: 'digest_close' }, node.key);
  const { items } = closed.value as DigestList;
  if (items.length === 0) return { kind: 'done', outcome: 'done', data: { count: 0 } };
  const content = { msgType: 'text' as const, content: JSON.stringify({ text: digestText(items, window) }) };
  const action = { ...plannedView(node), calls: [larkSendCall(to, content, digestUuid(ref))] };
  const end = await runAction(ctx.deps, {
    run: ctx.run,
    action,
    steps: {},
    signal: ctx.signal,
    ...ctx.takeAttempts(),
  });
  if (end.kind === 'done') {
    const data = end.data !== null && typeof end.data === 'object' ? end.data : {};
    return { kind: 'done', outcome: end.outcome, data: { ...data, count: items.length } };
  }
  if (end.kind === 'skipped') return { kind: 'skip_run', reason: end.reason };
  return end;
};
