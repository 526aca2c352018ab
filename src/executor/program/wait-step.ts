/**
 * `wait: 2h` and `wait_until: <template>`: the first time the step is reached the due time is
 * fixed and the run parks (leaving its lane); when it wakes, the wait is over and, with
 * `recheck`, the condition is evaluated on fresh data: false stops the run quietly.
 */
import { AutopilotError } from '../../errors.ts';
import { parseDuration } from '../../rules/duration.ts';
import { parseLiteralTime } from '../../rules/literal-time.ts';
import { renderTemplate, rootsRead } from '../../templates/render.ts';
import { attempted } from '../run-action.ts';
import type { ProgramContext, StepEnd, StepKind, StepNode } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { plannedView } from './planned-view.ts';
import { attemptOf, recheckStep } from './recheck.ts';

export const waitStep: StepKind = async (ctx, node, progress, scope) => {
  const now = ctx.deps.now();
  let until = progress.state?.until as number | undefined;
  if (until === undefined) {
    const due = await attempted(ctx.deps, attemptOf(ctx, node), (read) => dueTime(ctx, node, scope, read));
    if (!due.ok) return due.end;
    until = due.value;
    if (until > now) {
      progress.state = { until };
      await ctx.deps.audit.runParked(ctx.run, plannedView(node), until);
      return { kind: 'park', until };
    }
  } else {
    const wake = ctx.takeWake();
    // Claimed before its time without a wake (a released lease): park again.
    if (wake === undefined && now < until) return { kind: 'park', until };
    if (wake) await ctx.deps.audit.runWoken(ctx.run, plannedView(node), wake);
  }
  return afterWait(ctx, node, scope, until);
};

async function afterWait(ctx: ProgramContext, node: StepNode, scope: Scope, until: number): Promise<StepEnd> {
  if (node.step.recheck) {
    const checked = await attempted(ctx.deps, attemptOf(ctx, node), (read) =>
      recheckStep(ctx, node, scope, read),
    );
    if (!checked.ok) return checked.end;
    if (checked.value) return checked.value;
  }
  return { kind: 'done', outcome: 'done', data: { until } };
}

async function dueTime(
  ctx: ProgramContext,
  node: StepNode,
  scope: Scope,
  read: Parameters<typeof ctx.facts.table>[2],
): Promise<number> {
  const { params } = node.step;
  if (node.step.type === 'wait') return ctx.deps.now() + parseDuration(String(params.duration));
  const source = String(params.at);
  const table = await ctx.facts.table(rootsRead(source), scope, read, ctx.rule);
  return timeOf(renderTemplate(source, table), source);
}

/** Epoch ms from a number, a string of digits or an ISO-8601 time. */
export function timeOf(value: unknown, template: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  const parsed = typeof value === 'string' ? parseLiteralTime(value) : undefined;
  if (parsed !== undefined) return parsed;
  throw new AutopilotError(
    'AP_RULE_INVALID',
    `wait_until: ${template} gave ${JSON.stringify(String(value))}, which is neither epoch ms nor an ISO-8601 time`,
    { template },
  );
}
