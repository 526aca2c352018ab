/**
 * `lookup`: a search (search/params) or a filter (work_item/filter), its templates rendered when
 * the step runs, paged through the limiter until a short page or `max_items` items. The items
 * (as the `work_item` fact shows them) are the step's result, for later steps and `for_each`.
 */
import { renderParams, rootsRead } from '../../templates/render.ts';
import { attempted } from '../run-action.ts';
import type { StepKind } from './context.ts';
import { DEFAULT_MAX_ITEMS } from './for-each-step.ts';
import { lookUp } from './item-sources.ts';
import { attemptOf } from './recheck.ts';

export const lookupStep: StepKind = async (ctx, node, _progress, scope) => {
  const { max_items: given, ...source } = node.step.params;
  const max = typeof given === 'number' && given > 0 ? given : DEFAULT_MAX_ITEMS;
  const found = await attempted(ctx.deps, attemptOf(ctx, node), async (read) => {
    const table = await ctx.facts.table(rootsRead(source), scope, read, ctx.rule);
    return lookUp(renderParams(source, table), read, max);
  });
  if (!found.ok) return found.end;
  const items = found.value.slice(0, max);
  const data: Record<string, unknown> = { items, count: items.length };
  if (found.value.length > max) data.truncated = true;
  return { kind: 'done', outcome: 'done', data };
};
