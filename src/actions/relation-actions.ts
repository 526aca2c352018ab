/** Space relations: bind (batch) and unbind. */
import { buildApiCall } from '../openapi/catalogue.ts';
import { int64 } from '../openapi/json.ts';
import {
  requiredString,
  resolveTarget,
  ruleError,
  type ActionContext,
  type ActionTarget,
  type BuildResult,
  type Params,
} from './action-context.ts';

function itemPath(target: ActionTarget) {
  return { project_key: target.project, work_item_type_key: target.type, work_item_id: target.id };
}

export function bind(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('bind', params, ctx);
  const relation_rule_id = requiredString('bind', params, 'relation_rule');
  const chat_group_merge = params.merge_chat === true ? 1 : 0;
  const items = typeof params.work_items === 'string' ? [params.work_items] : params.work_items;
  if (!Array.isArray(items) || items.length === 0) {
    throw ruleError('bind', "'work_items' is required: a list of ids or of {project, type, id}");
  }
  const instances = items.map((item) => ({ ...instance(item, target), chat_group_merge }));
  return {
    calls: [
      buildApiCall('relation.batchBind', { path: itemPath(target), body: { relation_rule_id, instances } }),
    ],
  };
}

/** A bare id is a work item of the same space and type as the target. */
function instance(item: unknown, target: ActionTarget) {
  if (typeof item === 'string' || typeof item === 'number') {
    return {
      project_key: target.project,
      work_item_type_key: target.type,
      work_item_id: int64(String(item)),
    };
  }
  const ref = (item ?? {}) as Record<string, unknown>;
  if (ref.id === undefined || ref.id === null || ref.id === '') {
    throw ruleError('bind', 'each entry of work_items needs an id', { item });
  }
  return {
    project_key: typeof ref.project === 'string' ? ref.project : target.project,
    work_item_type_key: typeof ref.type === 'string' ? ref.type : target.type,
    work_item_id: int64(String(ref.id)),
  };
}

export function unbind(params: Params, ctx: ActionContext): BuildResult {
  const target = resolveTarget('unbind', params, ctx);
  const body = {
    relation_rule_id: requiredString('unbind', params, 'relation_rule'),
    relation_work_item_id: int64(requiredString('unbind', params, 'work_item')),
  };
  return { calls: [buildApiCall('relation.unbind', { path: itemPath(target), body })] };
}
