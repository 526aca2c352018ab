/**
 * `message` with `digest: <window>`: instead of sending, each recipient's message is collected
 * into that recipient's digest of the current window (src/actions/digest.ts), and the digest's
 * flush run (src/executor/program/digest-flush.ts) is enqueued to send it at the window's end.
 *
 * Nothing is lost or collected twice: the window each recipient's item goes to is saved with the
 * run before anything is collected, so a retry after a crash collects into the same one, where
 * the item's op id (StateStore.updateVar) makes the second addition a repeat. The flush run is
 * enqueued before the item is added (its id is the digest's, so enqueueing again adds nothing):
 * no item waits in a digest nobody will send. An item that comes after its window was sent goes
 * to the next window.
 */
import { v5 as uuidv5 } from 'uuid';
import { digestKey, windowAt, digestWindowMs, type DigestRef } from '../../actions/digest.ts';
import { withoutDigest } from '../../actions/message-action.ts';
import { AutopilotError } from '../../errors.ts';
import type { LarkReceiver } from '../../people/person.ts';
import type { ApiCall } from '../../plan/run.ts';
import type { DigestAdded } from '../../store/ports.ts';
import { attempted, errorOfAction } from '../run-action.ts';
import { actionStep, renderAction } from './action-step.ts';
import type { ProgramContext, StepKind, StepNode } from './context.ts';
import { flushRun } from './digest-flush.ts';
import type { Scope } from './execution-facts.ts';
import { plannedView } from './planned-view.ts';
import { attemptOf, recheckStep } from './recheck.ts';

/** `message`: sent at once, or collected into a digest when it says `digest:`. */
export const messageStep: StepKind = (ctx, node, progress, scope) =>
  node.step.params.digest === undefined
    ? actionStep(ctx, node, progress, scope)
    : collectStep(ctx, node, progress, scope);

interface Item {
  receiver: LarkReceiver;
  text: string;
}

/** Which window each recipient's item goes to (`type:id` → window start), saved with the run. */
type Windows = Record<string, number>;

const collectStep: StepKind = async (ctx, node, progress, scope) => {
  let every: number;
  try {
    every = digestWindowMs(node.step.params.digest);
  } catch (error) {
    return { kind: 'dead', error: errorOfAction(error) };
  }
  const prepared = await attempted(ctx.deps, attemptOf(ctx, node), async (read) => {
    const stop = node.step.recheck ? await recheckStep(ctx, node, scope, read) : undefined;
    return stop ? { stop } : { items: await itemsOf(ctx, node, scope, read) };
  });
  if (!prepared.ok) return prepared.end;
  if (prepared.value.stop) return prepared.value.stop;
  const items = prepared.value.items;
  const state = progress.state as { windows?: Windows } | undefined;
  const windows: Windows = { ...state?.windows };
  const now = ctx.deps.now();
  const unplaced = items.filter((item) => windows[receiverKey(item.receiver)] === undefined);
  if (unplaced.length > 0) {
    for (const item of unplaced) windows[receiverKey(item.receiver)] = windowAt(every, now).start;
    progress.state = { windows };
    await ctx.save();
  }
  let until = 0;
  for (const item of items) {
    const end = await collect(ctx, node, item, every, windows, progress);
    until = Math.max(until, end);
  }
  return { kind: 'done', outcome: 'done', data: { until, recipients: items.length } };
};

/** The messages the action would send now, one per recipient: who gets it, and its text. */
async function itemsOf(
  ctx: ProgramContext,
  node: StepNode,
  scope: Scope,
  read: Parameters<typeof renderAction>[3],
): Promise<Item[]> {
  const action = plannedView(node);
  const rendered = action.render === 'execution' ? await renderAction(ctx, action, scope, read) : undefined;
  const calls = await ctx.deps.resolve(
    { ...action, params: withoutDigest(action.params) },
    {
      run: ctx.run,
      steps: scope.steps,
      read,
      ...(rendered ? { rendered: { ...rendered, params: withoutDigest(rendered.params) } } : {}),
    },
  );
  return calls.map(itemOf);
}

function itemOf(call: ApiCall): Item {
  const body = call.body as { receive_id: string; msg_type: string; content: string };
  const type = call.query?.receive_id_type as LarkReceiver['type'];
  if (body.msg_type !== 'text') {
    throw new AutopilotError('AP_RULE_INVALID', 'message: digest: collects text messages only: give text');
  }
  return {
    receiver: { type, id: body.receive_id },
    text: (JSON.parse(body.content) as { text: string }).text,
  };
}

/** Adds the item to its recipient's digest; the window's end. */
async function collect(
  ctx: ProgramContext,
  node: StepNode,
  item: Item,
  every: number,
  windows: Windows,
  progress: { state?: unknown },
): Promise<number> {
  const state = ctx.deps.program.state;
  if (!state) throw new AutopilotError('AP_INTERNAL', 'digest: the executor was given no state store');
  const rk = receiverKey(item.receiver);
  for (;;) {
    const window = windowAt(every, windows[rk] as number);
    const ref: DigestRef = { ruleId: ctx.run.ruleId, receiver: item.receiver, window };
    await ctx.deps.runs.enqueue([flushRun(ctx.run, ref, ctx.deps.now())], ctx.deps.now());
    const opId = uuidv5(`digest-add\n${rk}\n${window.start}`, node.key);
    const key = digestKey(ref);
    const change = { kind: 'digest_add' as const, item: { id: opId, text: item.text, at: ctx.deps.now() } };
    const update = await state.updateVar(key, change, opId);
    const added = update.value as DigestAdded;
    await ctx.deps.audit.stepVar(ctx.run, plannedView(node), {
      digest: key,
      to: rk,
      until: window.end,
      added: added.added,
      count: added.count,
      repeated: update.repeated,
    });
    if (added.added) return window.end;
    // Sent before this item came (a slow or retried run): the next window that is not over.
    windows[rk] = Math.max(window.end, windowAt(every, ctx.deps.now()).start);
    progress.state = { windows };
    await ctx.save();
  }
}

function receiverKey(receiver: LarkReceiver): string {
  return `${receiver.type}:${receiver.id}`;
}
