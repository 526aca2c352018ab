/**
 * A step as the executor's action machinery sees it (a PlannedAction): the planned one at the top
 * level; for a nested step, its template source with the key of its path.
 */
import type { PlannedAction } from '../../plan/run.ts';
import type { StepNode } from './context.ts';

export function plannedView(node: StepNode): PlannedAction {
  const { step } = node;
  if ('idempotencyKey' in step) return step;
  const view: PlannedAction = {
    index: node.top,
    path: node.path,
    type: step.type,
    render: 'execution',
    params: step.params,
    recheck: step.recheck === true,
    idempotencyKey: node.key,
  };
  if (step.name !== undefined) view.name = step.name;
  if (step.recheckWhen !== undefined) view.recheckWhen = step.recheckWhen;
  return view;
}
