import type { PlannedAction } from '../plan/run.ts';

/** The Open API writes a planned action makes: its known write calls, or one when its calls are decided at execution time. */
export function writesOf(action: PlannedAction): number {
  if (action.calls) return action.calls.filter((c) => c.write).length;
  return 1;
}
