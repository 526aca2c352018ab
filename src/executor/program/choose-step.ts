/**
 * `choose`: the pairs' conditions are evaluated in order when the step is reached (the same
 * evaluator and trace as `when`), the first that holds runs its `do`, `else` runs when none
 * does. The choice is saved before its first nested step, so a retry never takes another one.
 */
import { attempted } from '../run-action.ts';
import { evaluateAt } from './conditions.ts';
import type { StepKind } from './context.ts';
import { plannedView } from './planned-view.ts';
import { newBlock } from './progress.ts';
import { attemptOf } from './recheck.ts';
import { runBlock } from './run-step.ts';

export const chooseStep: StepKind = async (ctx, node, progress, scope) => {
  const choices = node.step.choices ?? [];
  if (progress.branch === undefined) {
    const decided = await attempted(ctx.deps, attemptOf(ctx, node), async (read) => {
      const traces: unknown[] = [];
      for (const [i, choice] of choices.entries()) {
        const evaluation = await evaluateAt(ctx, choice.when, scope, read, {
          fresh: node.step.recheck === true && i === 0,
        });
        traces.push({ choice: i, matched: evaluation.matched, conditions: evaluation.conditions });
        if (evaluation.matched) return { branch: i, traces };
      }
      return { branch: 'else' as const, traces };
    });
    if (!decided.ok) return decided.end;
    const { branch, traces } = decided.value;
    await ctx.deps.audit.stepBranch(ctx.run, plannedView(node), { branch, choices: traces });
    progress.branch = branch;
    if (branch !== 'else' || node.step.else) await ctx.save();
  }
  const branch = progress.branch;
  const steps = typeof branch === 'number' ? choices[branch]?.do : node.step.else;
  if (!steps) return { kind: 'done', outcome: 'not_taken' };
  progress.block ??= newBlock();
  const segment = typeof branch === 'number' ? `c${branch}` : 'else';
  const end = await runBlock(ctx, steps, `${node.path}/${segment}`, node.top, progress.block, scope);
  return end.kind === 'done' ? { kind: 'done', outcome: 'done', data: { branch } } : end;
};
