/**
 * An action step: recheck on fresh data when asked, render a `render: execution` action once from
 * its template source with the full context, then the calls (src/executor/run-action.ts).
 */
import { renderParams, rootsRead } from '../../templates/render.ts';
import type { PlannedAction } from '../../plan/run.ts';
import type { NormalizedWorkItem } from '../../match/work-item.ts';
import type { Event } from '../../events/event.ts';
import type { ReadFn, RenderedAction } from '../ports.ts';
import { runAction } from '../run-action.ts';
import type { ProgramContext, StepKind } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { plannedView } from './planned-view.ts';
import { recheckStep } from './recheck.ts';

/** The only actions whose templates may read `{{secrets.*}}` (checked by `autopilot check`). */
const SECRET_ACTIONS: ReadonlySet<string> = new Set(['http', 'api']);

export const actionStep: StepKind = async (ctx, node, _progress, scope) => {
  const action = plannedView(node);
  const end = await runAction(ctx.deps, {
    run: ctx.run,
    action,
    steps: scope.steps,
    signal: ctx.signal,
    ...ctx.takeAttempts(),
    prepare: async (read) => {
      if (action.recheck) {
        const stop = await recheckStep(ctx, node, scope, read);
        if (stop) return { skip: { kind: 'skipped', reason: stop.reason, detail: stop.detail } };
      }
      if (action.render !== 'execution') return {};
      return { rendered: await renderAction(ctx, action, scope, read) };
    },
  });
  switch (end.kind) {
    case 'done':
      return { kind: 'done', outcome: end.outcome, data: end.data };
    case 'skipped':
      return { kind: 'skip_run', reason: end.reason, ...(end.detail ? { detail: end.detail } : {}) };
    default:
      return end;
  }
};

/** Renders the action's template source once, with the facts its templates read. */
export async function renderAction(
  ctx: ProgramContext,
  action: PlannedAction,
  scope: Scope,
  read: ReadFn,
): Promise<RenderedAction> {
  const table = await ctx.facts.table(rootsRead(action.params), scope, read, ctx.rule, {
    secrets: SECRET_ACTIONS.has(action.type),
  });
  const rendered: RenderedAction = {
    params: renderParams(action.params, table),
    event: table.event as Event,
  };
  if (table.work_item) rendered.workItem = table.work_item as NormalizedWorkItem;
  return rendered;
}
