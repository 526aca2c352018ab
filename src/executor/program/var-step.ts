/**
 * `set` and `increment`: a variable kept in the StateStore, scoped to the event's work item, the
 * rule or the event's space. With `recheck`, the condition is evaluated on fresh data first. Templates in `value` / `by` are rendered when the step runs; the
 * change is applied atomically and at most once per step key (a run retried after a crash gets
 * back the value its first try gave, `already_applied`), then recorded as `step.var`.
 */
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import { varKey, type VarScope } from '../../match/vars-fact.ts';
import type { VarChange } from '../../store/ports.ts';
import { incrementBy } from '../../store/var-change.ts';
import { renderParams, rootsRead } from '../../templates/render.ts';
import { attempted, errorOfAction } from '../run-action.ts';
import type { StepKind } from './context.ts';
import { plannedView } from './planned-view.ts';
import { attemptOf, recheckStep } from './recheck.ts';

export const varStep: StepKind = async (ctx, node, _progress, scope) => {
  const { params, type } = node.step;
  const prepared = await attempted(ctx.deps, attemptOf(ctx, node), async (read) => {
    const stop = node.step.recheck ? await recheckStep(ctx, node, scope, read) : undefined;
    if (stop) return { stopped: true as const, end: stop };
    const table = await ctx.facts.table(rootsRead(params), scope, read, ctx.rule);
    const rendered = renderParams(params, table);
    const varScope = (rendered.scope ?? 'work_item') as VarScope;
    const name = String(rendered.var);
    const key = varKey(varScope, { ruleId: ctx.run.ruleId, event: await ctx.facts.event() }, name);
    return { stopped: false as const, key, name, varScope, change: changeOf(type, rendered, key) };
  });
  if (!prepared.ok) return prepared.end;
  if (prepared.value.stopped) return prepared.value.end;
  const { key, name, varScope, change } = prepared.value;
  const state = ctx.deps.program.state;
  if (!state)
    throw new AutopilotError('AP_INTERNAL', `${type} ${key}: the executor was given no state store`);
  let update;
  try {
    update = await state.updateVar(key, change, node.key);
  } catch (error) {
    // A value that is not a number is the rule's to fix; a store failure (AP_STORE) is retried.
    if (isAutopilotError(error, 'AP_VAR_NOT_NUMBER')) return { kind: 'dead', error: errorOfAction(error) };
    throw error;
  }
  await ctx.deps.audit.stepVar(ctx.run, plannedView(node), {
    var: `${varScope}.${name}`,
    key,
    ...(change.kind === 'increment' ? { by: change.by } : {}),
    value: update.value,
    repeated: update.repeated,
  });
  return {
    kind: 'done',
    outcome: update.repeated ? 'already_applied' : 'done',
    data: { value: update.value },
  };
};

function changeOf(type: string, rendered: Record<string, unknown>, key: string): VarChange {
  if (type === 'set') return { kind: 'set', value: rendered.value };
  const by = incrementBy(rendered.by);
  if (by === undefined) {
    throw new AutopilotError(
      'AP_VAR_NOT_NUMBER',
      `increment ${key}: by gave ${JSON.stringify(rendered.by)}, which is not a number`,
      { key },
    );
  }
  return { kind: 'increment', by };
}
