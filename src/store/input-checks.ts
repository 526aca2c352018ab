/** Argument checks shared by every store adapter: a caller's bug gets a clear AP_STORE_BAD_INPUT. */
import { AutopilotError } from '../errors.ts';
import type { Run } from '../plan/run.ts';
import { PRIORITY_RANK } from './ports.ts';

export function requireId(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `${name} must be a non-empty string, got ${describe(value)}`,
    );
  }
}

/** A positive safe integer (limits, lease lengths). */
export function requireCount(name: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `${name} must be a positive integer, got ${describe(value)}`,
    );
  }
}

/** An epoch-ms time (a parked run's wake-up). */
export function requireTime(name: string, value: unknown): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `${name} must be epoch ms, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Refuses a run the queue could not order or find again. */
export function checkRun(run: Run): Run {
  requireId('run id', run?.id);
  requireId(`run ${run.id}: eventId`, run.eventId);
  requireId(`run ${run.id}: ruleId`, run.ruleId);
  requireId(`run ${run.id}: lane`, run.lane);
  if (!Object.hasOwn(PRIORITY_RANK, run.priority)) {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `run ${run.id}: unknown priority ${String(run.priority)}`);
  }
  if (!Array.isArray(run.actions)) {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `run ${run.id}: actions must be an array`);
  }
  return run;
}

/** A new plan for a dead run must be the same run: id, event, rule and lane (its place in the queue). */
export function checkReplan(current: Run, plan: Run): void {
  for (const key of ['id', 'eventId', 'ruleId', 'lane'] as const) {
    if (plan[key] !== current[key]) {
      throw new AutopilotError(
        'AP_STORE_BAD_INPUT',
        `run ${current.id}: a new plan must keep ${key} (${JSON.stringify(current[key])}), got ${JSON.stringify(plan[key])}`,
      );
    }
  }
}

/** A purge's `keep`: a plain top-level field name (it becomes a JSON path) and a text. */
export function checkedKeep(keep: { field: unknown; equals: unknown }): { field: string; equals: string } {
  const { field, equals } = keep;
  if (typeof field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `keep.field must be a plain field name, got ${describe(field)}`,
    );
  }
  if (typeof equals !== 'string') {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `keep.equals must be a string, got ${describe(equals)}`);
  }
  return { field, equals };
}
