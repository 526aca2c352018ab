/** Test data builders for runs and rules. */
import type { ApiCall, PlannedAction, Run } from '../../../src/plan/run.ts';
import type { Rule } from '../../../src/rules/rule.ts';

let seq = 0;

export function commentCall(workItemId: string, text: string): ApiCall {
  return {
    operation: 'comment.create',
    method: 'POST',
    path: `/open_api/space/work_item/story/${workItemId}/comment/create`,
    body: { content: text },
    write: true,
  };
}

export function buildAction(over: Partial<PlannedAction> & { index: number }): PlannedAction {
  return {
    type: 'comment',
    params: {},
    recheck: false,
    idempotencyKey: `0000000${over.index}-0000-5000-8000-${String(++seq).padStart(12, '0')}`,
    ...over,
  };
}

export function buildRun(over: Partial<Run> = {}): Run {
  const id = over.id ?? `run-${++seq}`;
  const lane = over.lane ?? 'space:1';
  return {
    id,
    eventId: `evt-${id}`,
    ruleId: 'rule-a',
    ruleVersion: 'v1',
    mode: 'live',
    lane,
    priority: 'webhook',
    actions: [buildAction({ index: 0, calls: [commentCall(lane.split(':')[1] ?? '1', `hello from ${id}`)] })],
    createdAt: 1,
    ...over,
  };
}

export function buildRule(over: Partial<Rule> = {}): Rule {
  return {
    id: 'rule-a',
    enabled: true,
    mode: 'live',
    on: { event: 'work_item.created' },
    do: [],
    allow_self: false,
    version: 'v1',
    source: { file: 'rules/rule-a.yaml' },
    ...over,
  };
}
