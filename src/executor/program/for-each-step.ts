/**
 * `for_each`: the list is read once (a list template, the sub-tasks, the related work items) and
 * saved with the progress before the first iteration, so a retry iterates the same list; a list
 * longer than `max_items` is refused before any write. Each iteration runs the nested steps with
 * `{{item.*}}` and `{{index}}`; every nested write has the key of its path (`2/i7/0`).
 */
import { AutopilotError } from '../../errors.ts';
import { renderTemplate, rootsRead } from '../../templates/render.ts';
import type { ReadFn } from '../ports.ts';
import { attempted } from '../run-action.ts';
import type { ProgramContext, StepKind, StepNode } from './context.ts';
import type { Scope } from './execution-facts.ts';
import { relatedOf, subtasksOf } from './item-sources.ts';
import { plannedView } from './planned-view.ts';
import { newBlock } from './progress.ts';
import { attemptOf } from './recheck.ts';
import { runBlock } from './run-step.ts';

/** `max_items` when the rule gives none. */
export const DEFAULT_MAX_ITEMS = 50;

export const forEachStep: StepKind = async (ctx, node, progress, scope) => {
  if (progress.items === undefined) {
    const max = maxItems(node.step.params);
    const listed = await attempted(ctx.deps, attemptOf(ctx, node), (read) =>
      listOf(ctx, node, scope, read, max),
    );
    if (!listed.ok) return listed.end;
    const items = listed.value;
    const view = plannedView(node);
    if (items.length > max) {
      const error = {
        code: 'AP_STEP_LIMIT',
        message: `for_each refused before any write: the list has more than max_items (${max}) items (${items.length} read); raise max_items or narrow the list`,
      };
      await ctx.deps.audit.stepItems(ctx.run, view, { refused: true, count: items.length, max_items: max });
      return { kind: 'dead', error };
    }
    await ctx.deps.audit.stepItems(ctx.run, view, { count: items.length, items: items.map(itemLabel) });
    progress.items = items;
    progress.iteration = 0;
    if (items.length > 0) await ctx.save();
  }
  const items = progress.items;
  const body = node.step.do ?? [];
  for (let k = progress.iteration ?? 0; k < items.length; k++) {
    progress.block ??= newBlock();
    const inner: Scope = { ...scope, item: items[k], index: k };
    const end = await runBlock(ctx, body, `${node.path}/i${k}`, node.top, progress.block, inner);
    if (end.kind !== 'done') return end;
    progress.iteration = k + 1;
    delete progress.block;
    if (k + 1 < items.length) await ctx.save();
  }
  return { kind: 'done', outcome: 'done', data: { count: items.length } };
};

function maxItems(params: Record<string, unknown>): number {
  const max = params.max_items;
  return typeof max === 'number' && Number.isSafeInteger(max) && max > 0 ? max : DEFAULT_MAX_ITEMS;
}

async function listOf(
  ctx: ProgramContext,
  node: StepNode,
  scope: Scope,
  read: ReadFn,
  max: number,
): Promise<unknown[]> {
  const { params } = node.step;
  const event = await ctx.facts.event();
  if (params.subtasks !== undefined) return subtasksOf(event, params.subtasks, read);
  if (params.related !== undefined) return relatedOf(event, params.related, read, max);
  const source = String(params.items);
  const table = await ctx.facts.table(rootsRead(source), scope, read, ctx.rule);
  const list = renderTemplate(source, table);
  if (!Array.isArray(list)) {
    throw new AutopilotError(
      'AP_RULE_INVALID',
      `for_each items: ${source} gave ${list === null ? 'null' : typeof list}, not a list`,
      { template: source },
    );
  }
  return list;
}

/** What the audit shows of an item: its id when it has one. */
function itemLabel(item: unknown): unknown {
  if (item !== null && typeof item === 'object' && 'id' in item) return (item as { id: unknown }).id;
  return typeof item === 'object' ? '…' : item;
}
