/** Look-ups shared by the routes: the space, type and work item named by the path. */
import { fail } from '../http/sim-error.ts';
import type { Ctx } from '../http/route.ts';
import type { Space, WorkItem, WorkItemType } from '../model/types.ts';

export function parseId(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw fail(20006, `${name} must be a numeric id`);
  return Number(raw);
}

export function spaceOf(ctx: Ctx): Space {
  return ctx.tenant.space(ctx.params.project_key ?? '');
}

export function typeOf(ctx: Ctx, space: Space): WorkItemType {
  return ctx.tenant.type(space, ctx.params.work_item_type_key ?? '');
}

export interface Target {
  space: Space;
  type: WorkItemType;
  item: WorkItem;
}

/** The work item in the path; 30014 for an unknown type, 30005 for an unknown item. */
export function targetOf(ctx: Ctx): Target {
  const space = spaceOf(ctx);
  const type = typeOf(ctx, space);
  const item = ctx.tenant.item(space, type.type_key, parseId(ctx.params.work_item_id, 'work_item_id'));
  return { space, type, item };
}

/** Writes on a terminated item are refused with 20007. */
export function assertWritable(item: WorkItem): void {
  if (item.aborted.is_aborted) throw fail(20007, `work item ${item.id} is terminated`);
}

/** TimeInterval `{start, end?}` in 13-digit ms; anything else is 20013. */
export function timeInterval(value: unknown, name: string): { start: number; end: number } | undefined {
  if (value === undefined || value === null) return undefined;
  const t = value as { start?: unknown; end?: unknown };
  const ms = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && String(v).length === 13;
  if (typeof value !== 'object' || !ms(t.start) || (t.end !== undefined && !ms(t.end))) {
    throw fail(20013, `${name} must be {start, end} in 13-digit milliseconds`);
  }
  return { start: t.start as number, end: (t.end as number | undefined) ?? Number.MAX_SAFE_INTEGER };
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
