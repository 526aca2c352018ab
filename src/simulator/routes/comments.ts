/** Comments: create (19-digit ids), list, update and delete (author only). */
import { optString, page } from '../http/body.ts';
import type { Ctx, RouteDef } from '../http/route.ts';
import { fail } from '../http/sim-error.ts';
import { renderComment } from '../model/render.ts';
import type { Comment, WorkItem } from '../model/types.ts';
import { targetOf } from './common.ts';

/** `content` (plain) or `rich_text` (blocks, wins when both are given), one required. */
function contentOf(ctx: Ctx): string {
  const content = optString(ctx.body, 'content');
  const rich = ctx.body.rich_text;
  if (rich !== undefined && rich !== null) {
    if (!Array.isArray(rich)) throw fail(20006, 'rich_text must be an array of blocks');
    return rich
      .map((line) =>
        ((line as { content?: { text?: unknown }[] })?.content ?? [])
          .map((n) => String(n?.text ?? ''))
          .join(''),
      )
      .join('\n');
  }
  if (content === undefined || content === '') throw fail(20005, 'content or rich_text is required');
  return content;
}

function commentOf(ctx: Ctx, item: WorkItem): Comment {
  const id = ctx.params.comment_id ?? '';
  if (!/^\d+$/.test(id)) throw fail(20006, 'comment_id must be numeric');
  const comment = ctx.tenant.data.comments.find((c) => c.id === id);
  if (!comment) throw fail(30015, `comment ${id} not found`);
  if (comment.work_item_id !== item.id) throw fail(20045);
  if (comment.operator !== ctx.operator) throw fail(10001, 'only the author may change a comment');
  return comment;
}

function create(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const content = contentOf(ctx);
  const comment: Comment = {
    id: ctx.tenant.nextCommentId(),
    project_key: item.project_key,
    work_item_id: item.id,
    work_item_type_key: item.work_item_type_key,
    operator: ctx.operator,
    content,
    created_at: ctx.now,
  };
  ctx.tenant.data.comments.push(comment);
  ctx.changes.commented(item, comment, 'add');
  return { data: renderComment(comment).id };
}

function queryInt(ctx: Ctx, key: string, fallback: number): number {
  const raw = ctx.query[key];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw fail(20006, `${key} must be a positive integer`);
  return Number(raw);
}

function list(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const pageSize = queryInt(ctx, 'page_size', 200);
  const pageNum = queryInt(ctx, 'page_num', 1);
  if (pageSize > 200) throw fail(20002, 'page_size must be <= 200');
  if (pageSize < 1 || pageNum < 1) throw fail(20006, 'page_size and page_num start at 1');
  const all = ctx.tenant.data.comments
    .filter((c) => c.work_item_id === item.id)
    .sort((a, b) => a.created_at - b.created_at);
  const { items, pagination } = page(all, { pageNum, pageSize });
  return { data: items.map(renderComment), pagination };
}

function update(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const comment = commentOf(ctx, item);
  const previous = comment.content;
  comment.content = contentOf(ctx);
  ctx.changes.commented(item, comment, 'modify', previous);
}

function remove(ctx: Ctx) {
  const { item } = targetOf(ctx);
  const comment = commentOf(ctx, item);
  ctx.tenant.data.comments = ctx.tenant.data.comments.filter((c) => c !== comment);
  ctx.changes.commented(item, comment, 'delete');
}

const ITEM = '/open_api/:project_key/work_item/:work_item_type_key/:work_item_id';

export const commentRoutes: RouteDef[] = [
  { id: 'comment.create', method: 'POST', path: `${ITEM}/comment/create`, write: true, handle: create },
  { id: 'comment.list', method: 'GET', path: `${ITEM}/comments`, handle: list },
  { id: 'comment.update', method: 'PUT', path: `${ITEM}/comment/:comment_id`, write: true, handle: update },
  {
    id: 'comment.delete',
    method: 'DELETE',
    path: `${ITEM}/comment/:comment_id`,
    write: true,
    handle: remove,
  },
];
