/** The arithmetic of `StateStore.updateVar`, the same for every adapter (inside its transaction). */
import { AutopilotError } from '../errors.ts';
import { requireId } from './input-checks.ts';
import type { DigestAdded, DigestList, VarChange } from './ports.ts';

/**
 * What `change` stores at `key` and what `updateVar` answers (and records with the op). They
 * differ for a digest only: an addition answers whether it was added, not the whole list, so the
 * op records stay small however long the digest grows.
 */
export function appliedChange(
  key: string,
  current: unknown,
  change: VarChange,
): { stored: unknown; answer: unknown } {
  if (change.kind === 'digest_add') {
    const list = digestListOf(key, current);
    if (list.closed) return { stored: list, answer: { added: false, count: list.items.length } };
    const items = [...list.items, change.item];
    return { stored: { items }, answer: { added: true, count: items.length } satisfies DigestAdded };
  }
  if (change.kind === 'digest_close') {
    const closed: DigestList = { items: digestListOf(key, current).items, closed: true };
    return { stored: closed, answer: closed };
  }
  const value = changedValue(key, current, change);
  return { stored: value, answer: value };
}

function digestListOf(key: string, current: unknown): DigestList {
  if (current === undefined) return { items: [] };
  const list = current as DigestList;
  if (!Array.isArray(list?.items))
    throw new AutopilotError('AP_STORE_BAD_INPUT', `${key} holds ${JSON.stringify(current)}, not a digest`);
  return list;
}

/** The value after a `set` or `increment`; an increment starts an absent variable at 0. */
export function changedValue(key: string, current: unknown, change: VarChange): unknown {
  if (change.kind === 'digest_add' || change.kind === 'digest_close')
    return appliedChange(key, current, change).stored;
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
  if (change?.kind === 'set' || change?.kind === 'digest_close') return;
  if (change?.kind === 'digest_add') {
    const item = change.item;
    if (typeof item?.id !== 'string' || typeof item.text !== 'string' || !Number.isFinite(item.at))
      throw new AutopilotError('AP_STORE_BAD_INPUT', `digest ${key}: an item needs an id, a text and a time`);
    return;
  }
  if (change?.kind !== 'increment') {
    throw new AutopilotError(
      'AP_STORE_BAD_INPUT',
      `variable ${key}: change must be set, increment, digest_add or digest_close`,
    );
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
