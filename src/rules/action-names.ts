/**
 * The actions a rule's `do:` may name, as the validator sees them. The action catalogue
 * (src/actions/catalogue.ts) is the one list in code; the schema's step keys are kept equal to
 * it by test/rules/schema.test.ts.
 */
import { ACTION_NAMES, WORK_ITEM_ACTIONS as WORK_ITEM_ACTION_LIST } from '../actions/catalogue.ts';

export { ACTION_NAMES };

/** Actions that act on a work item: the event's, or the one their `target` names. */
export const WORK_ITEM_ACTIONS: ReadonlySet<string> = new Set(WORK_ITEM_ACTION_LIST);

/** Keys a step may carry beside its action or control key. */
export const STEP_KEYS: ReadonlySet<string> = new Set(['name', 'recheck', 'when', 'else']);

/** Steps that are not Open API actions: interpreted by the executor (docs/design/run-program.md). */
export const CONTROL_STEPS = [
  'for_each',
  'choose',
  'wait',
  'wait_until',
  'lookup',
  'set',
  'increment',
  'approve',
] as const;

export type ControlStep = (typeof CONTROL_STEPS)[number];

export function isControlStep(type: string): type is ControlStep {
  return (CONTROL_STEPS as readonly string[]).includes(type);
}

/** Every key that names what a step does. */
export const STEP_TYPES: readonly string[] = [...ACTION_NAMES, ...CONTROL_STEPS];
