/**
 * Execution-time decisions on conditions: a step's `when` and `recheck` (the rule's `when`, or the
 * step's own condition, on the work item read again right before the step). Each is one attempt
 * of the step: its reads go through the limiter and the retry policy.
 */
import type { ConditionNode } from '../../rules/rule.ts';
import type { ReadFn } from '../ports.ts';
import { attempted, type StoppedEnd } from '../run-action.ts';
import { evaluateAt } from './conditions.ts';
import type { ProgramContext, StepEnd, StepNode } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { plannedView } from './planned-view.ts';

export type Decision = { kind: 'decided'; holds: boolean } | StoppedEnd;

/** Evaluates a step's `when` (fresh data with `recheck`) and records the trace in the audit. */
export async function decideWhen(
  ctx: ProgramContext,
  node: StepNode,
  when: ConditionNode,
  scope: Scope,
): Promise<Decision> {
  const attempt = await attempted(ctx.deps, attemptOf(ctx, node), (read) =>
    evaluateAt(ctx, when, scope, read, { fresh: node.step.recheck === true }),
  );
  if (!attempt.ok) return attempt.end;
  const evaluation = attempt.value;
  await ctx.deps.audit.stepBranch(ctx.run, plannedView(node), {
    branch: evaluation.matched ? 'then' : 'else',
    conditions: evaluation.conditions,
    ...(evaluation.error
      ? { error: { code: evaluation.error.code, message: evaluation.error.message } }
      : {}),
  });
  return { kind: 'decided', holds: evaluation.matched };
}

/**
 * `recheck`: undefined when the condition holds on fresh data, else the quiet end of the run.
 * An injected Recheck (tests) answers for the rule's `when`.
 */
export async function recheckStep(
  ctx: ProgramContext,
  node: StepNode,
  scope: Scope,
  read: ReadFn,
): Promise<Extract<StepEnd, { kind: 'skip_run' }> | undefined> {
  const own = node.step.recheckWhen;
  const rule = ctx.rule;
  if (own === undefined) {
    if (!rule) return { kind: 'skip_run', reason: 'rule no longer loaded' };
    if (!rule.when) return undefined;
    if (ctx.deps.recheck) {
      const result = await ctx.deps.recheck({ run: ctx.run, rule, read });
      return result.holds ? undefined : notTrue(result.trace);
    }
  }
  const when = own ?? (rule?.when as ConditionNode);
  const evaluation = await evaluateAt(ctx, when, scope, read, { fresh: true });
  return evaluation.matched ? undefined : notTrue(evaluation.conditions);
}

/** A step's own reads (conditions, look-ups) as one attempt, with the claim's retry bookkeeping. */
export function attemptOf(ctx: ProgramContext, node: StepNode) {
  return { run: ctx.run, action: plannedView(node), signal: ctx.signal, ...ctx.takeAttempts() };
}

function notTrue(trace: unknown): Extract<StepEnd, { kind: 'skip_run' }> {
  return { kind: 'skip_run', reason: 'condition no longer true', detail: { trace } };
}
