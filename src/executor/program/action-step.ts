/**
 * An action step: recheck on fresh data when asked, render a `render: execution` action once from
 * its template source with the full context, then the calls (src/executor/run-action.ts).
 */
import { AutopilotError, isAutopilotError } from '../../errors.ts';
import { secretEnvName } from '../../rules/secret-names.ts';
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
  const secrets = SECRET_ACTIONS.has(action.type);
  const table = await ctx.facts.table(rootsRead(action.params), scope, read, ctx.rule, { secrets });
  let params: Record<string, unknown>;
  try {
    params = renderParams(action.params, table);
  } catch (error) {
    throw (secrets && unknownSecret(error)) || error;
  }
  const rendered: RenderedAction = { params, event: table.event as Event };
  if (table.work_item) rendered.workItem = table.work_item as NormalizedWorkItem;
  return rendered;
}

/** A secret the engine does not have (removed since the rules were loaded): its own code. */
function unknownSecret(error: unknown): AutopilotError | undefined {
  if (!isAutopilotError(error, 'AP_TEMPLATE_MISSING_PATH')) return undefined;
  const path = error.details?.path;
  if (typeof path !== 'string' || !path.startsWith('secrets.')) return undefined;
  const name = path.slice('secrets.'.length);
  return new AutopilotError(
    'AP_SECRET_UNKNOWN',
    `no secret '${name}' is set (set ${secretEnvName(name)} or ${secretEnvName(name)}_FILE)`,
    { path },
  );
}
