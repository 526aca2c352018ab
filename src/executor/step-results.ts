/** Step results of a run and the per-write idempotency keys of an action. */
import { v5 as uuidv5 } from 'uuid';
import type { PlannedAction, Run } from '../plan/run.ts';
import type { ActionResult } from '../store/ports.ts';
import type { StepResults } from './ports.ts';

/**
 * `{{steps.<index or name>.<field>}}` look-ups over the run's finished actions. A bare scalar
 * result (work item create answers with the new id alone) is offered as `{ id, value }` so that
 * `{{steps.create.id}}` reads naturally.
 */
export function stepResults(run: Run, results: readonly ActionResult[]): StepResults {
  const steps: Record<string, unknown> = {};
  for (const result of results) {
    const view = stepView(result);
    steps[String(result.index)] = view;
    const name = run.actions[result.index]?.name;
    if (name) steps[name] = view;
  }
  return steps;
}

function stepView(result: ActionResult): unknown {
  return resultView(result.outcome, result.data);
}

/** What `{{steps.<name>}}` shows of a finished step: its outcome and data. */
export function resultView(outcome: string, data: unknown): unknown {
  const base = { outcome };
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) return { ...base, ...data };
  if (data === undefined) return base;
  return { ...base, id: data, value: data };
}

/**
 * X-IDEM-UUID of the n-th write of an action: the action's own key for the first (most actions
 * write once), a UUIDv5 derived from it for the others. The same on every retry, never random.
 */
export function writeKey(action: PlannedAction, writeIndex: number): string {
  return writeIndex === 0 ? action.idempotencyKey : uuidv5(`write-${writeIndex}`, action.idempotencyKey);
}
