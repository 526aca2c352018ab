/** The arithmetic of `StateStore.updateVar`, the same for every adapter (inside its transaction). */
import { AutopilotError } from '../errors.ts';
import { requireId } from './input-checks.ts';
import type { VarChange } from './ports.ts';

/** The value after `change`; an increment starts an absent variable at 0. */
export function changedValue(key: string, current: unknown, change: VarChange): unknown {
  if (change.kind === 'set') return change.value;
  const start = current ?? 0;
  if (typeof start !== 'number' || !Number.isFinite(start)) {
    throw new AutopilotError(
      'AP_VAR_NOT_NUMBER',
      `increment ${key}: its value ${JSON.stringify(start)} is not a number`,
      { key },
    );
  }
  const next = start + change.by;
  if (!Number.isFinite(next)) {
    throw new AutopilotError('AP_VAR_NOT_NUMBER', `increment ${key}: ${start} + ${change.by} is not finite`, {
      key,
    });
  }
  return next;
}

/** Refuses what no step can mean: empty keys or op ids, an unknown kind, a `by` that is no number. */
export function checkVarUpdate(key: string, change: VarChange, opId: string): void {
  requireId('variable key', key);
  requireId('variable op id', opId);
  if (change?.kind === 'set') return;
  if (change?.kind !== 'increment') {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `variable ${key}: change must be set or increment`);
  }
  if (typeof change.by !== 'number' || !Number.isFinite(change.by)) {
    throw new AutopilotError(
      'AP_VAR_NOT_NUMBER',
      `increment ${key}: by ${JSON.stringify(String(change.by))} is not a number`,
      { key },
    );
  }
}

/** An increment's rendered `by` as a number (a template gives text): undefined when it is none. */
export function incrementBy(by: unknown): number | undefined {
  const value = by ?? 1;
  const number = typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}
