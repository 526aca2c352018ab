/**
 * The per-rule state polls and schedules keep in the StateStore, written with the leader's
 * fencing token: a write is a compare-and-set against what this round read, and a state
 * already carrying a larger token means a newer leader owns the trigger, so this (deposed)
 * process stops its round instead of writing.
 */
import { createHash } from 'node:crypto';
import { AutopilotError } from '../errors.ts';
import type { StateStore } from '../store/ports.ts';

export interface Fenced {
  fencingToken: number;
}

export async function readFenced<T extends Fenced>(
  state: StateStore,
  key: string,
  token: number,
): Promise<T | undefined> {
  const value = await state.get<T>(key);
  if (value !== undefined && value.fencingToken > token) throw fenced(key, value.fencingToken, token);
  return value;
}

export async function writeFenced<T extends Fenced>(
  state: StateStore,
  key: string,
  previous: T | undefined,
  next: T,
): Promise<void> {
  if (!(await state.compareAndSet(key, previous, next))) {
    const current = await state.get<T>(key);
    throw fenced(key, current?.fencingToken ?? -1, next.fencingToken);
  }
}

function fenced(key: string, theirs: number, ours: number): AutopilotError {
  return new AutopilotError(
    'AP_LEASE_LOST',
    `trigger state ${key} was written by another leader (token ${theirs}, ours ${ours}); this round stops`,
    { key, theirs, ours },
  );
}

/** A short stable hash of the parts, for event ids. */
export function idHash(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
