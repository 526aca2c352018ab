/**
 * The interpreter of a run's steps: a step's `when` / `else`, then its kind (an action, a wait,
 * a loop, ...), and blocks of nested steps, each finished nested step saved with the progress
 * (docs/design/run-program.md §3).
 */
import { idempotencyKey } from '../../plan/idempotency.ts';
import type { ActionSpec } from '../../rules/rule.ts';
import { resultView } from '../step-results.ts';
import type { ProgramContext, StepEnd, StepNode } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { newBlock, type BlockProgress, type StepProgress } from './progress.ts';
import { decideWhen } from './recheck.ts';
import { stepKind } from './step-kinds.ts';

export async function runStep(
  ctx: ProgramContext,
  node: StepNode,
  progress: StepProgress,
  scope: Scope,
): Promise<StepEnd> {
  const { step } = node;
  if (step.when !== undefined) {
    if (progress.branch === undefined) {
      const decided = await decideWhen(ctx, node, step.when, scope);
      if (decided.kind !== 'decided') return decided;
      progress.branch = decided.holds ? 'then' : 'else';
      // Saved before the branch writes anything, so a retry never takes the other one.
      if (decided.holds || step.else) await ctx.save();
    }
    if (progress.branch === 'else') {
      if (!step.else) return { kind: 'done', outcome: 'not_taken' };
      progress.block ??= newBlock();
      const end = await runBlock(ctx, step.else, `${node.path}/else`, node.top, progress.block, scope);
      return end.kind === 'done' ? { kind: 'done', outcome: 'done', data: { branch: 'else' } } : end;
    }
  }
  return stepKind(step.type)(ctx, node, progress, scope);
}

/**
 * Runs `steps` from `block.next`. Each finished step but the last is saved with the progress;
 * the block's end is saved by whoever continues after it (the loop, the top-level checkpoint).
 */
export async function runBlock(
  ctx: ProgramContext,
  steps: readonly ActionSpec[],
  prefix: string,
  top: number,
  block: BlockProgress,
  scope: Scope,
): Promise<StepEnd> {
  for (let i = block.next; i < steps.length; i++) {
    if (ctx.progressed && ctx.deps.stopping()) return { kind: 'released' };
    const step = steps[i] as ActionSpec;
    const path = `${prefix}/${i}`;
    const node: StepNode = { step, path, top, key: nestedKey(ctx, path) };
    block.current ??= {};
    const inner: Scope = { ...scope, steps: { ...scope.steps, ...block.results } };
    const end = await runStep(ctx, node, block.current, inner);
    if (end.kind !== 'done') return end;
    if (step.name !== undefined) block.results[step.name] = resultView(end.outcome, end.data);
    block.next = i + 1;
    delete block.current;
    ctx.progressed = true;
    if (i + 1 < steps.length) await ctx.save();
  }
  return { kind: 'done', outcome: 'done' };
}

/** A nested step's key: UUIDv5 of the run's event, rule and version with the step's path. */
function nestedKey(ctx: ProgramContext, path: string): string {
  const { run } = ctx;
  return idempotencyKey(run.eventId, run.ruleId, run.ruleVersion, path);
}
