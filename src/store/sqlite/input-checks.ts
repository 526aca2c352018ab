/** Argument checks shared by the SQLite stores: a caller's bug gets a clear AP_STORE_BAD_INPUT. */
import { AutopilotError } from '../../errors.ts';

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

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
