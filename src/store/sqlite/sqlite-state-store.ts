/** StateStore on SQLite: JSON values by key; compare-and-set compares values, not their text. */
import { isDeepStrictEqual } from 'node:util';
import { VAR_OP_PREFIX, type PurgeKeep, type StateStore, type VarChange, type VarUpdate } from '../ports.ts';
import { appliedChange, checkVarUpdate } from '../var-change.ts';
import type { SqliteDb } from './database.ts';
import { decodeJson, encodeJson } from './json-codec.ts';
import { checkedKeep, requireId } from '../input-checks.ts';

export class SqliteStateStore implements StateStore {
  readonly #db: SqliteDb;
  readonly #clock: () => number;

  constructor(db: SqliteDb, clock: () => number) {
    this.#db = db;
    this.#clock = clock;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const text = this.#db.read(() => this.#current(key));
    return text === undefined ? undefined : (decodeJson(text) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    requireId('state key', key);
    const text = encodeJson(value, `state ${key}`);
    this.#db.write(() => this.#put(key, text));
  }

  async compareAndSet(key: string, expected: unknown, value: unknown): Promise<boolean> {
    requireId('state key', key);
    const text = encodeJson(value, `state ${key}`);
    return this.#db.write(() => {
      const current = this.#current(key);
      const matches = current === undefined ? expected === undefined : sameJson(current, expected);
      if (matches) this.#put(key, text);
      return matches;
    });
  }

  async delete(key: string): Promise<void> {
    this.#db.write(() => this.#db.run('DELETE FROM state WHERE key = :key', { key }));
  }

  async purgePrefix(prefix: string, olderThan: number, keep?: PurgeKeep): Promise<number> {
    requireId('state key prefix', prefix);
    const kept = keep ? checkedKeep(keep) : undefined;
    const unlessKept = kept ? " AND json_extract(value, '$.' || :field) IS NOT :equals" : '';
    return this.#db.write(
      () =>
        this.#db.run(
          `DELETE FROM state WHERE substr(key, 1, length(:prefix)) = :prefix AND updated_at < :olderThan${unlessKept}`,
          { prefix, olderThan, ...(kept ?? {}) },
        ).changes,
    );
  }

  async updateVar(key: string, change: VarChange, opId: string): Promise<VarUpdate> {
    checkVarUpdate(key, change, opId);
    const opKey = VAR_OP_PREFIX + opId;
    // One write transaction (the file's write lock): the op record and the value change together.
    return this.#db.write(() => {
      const applied = this.#current(opKey);
      if (applied !== undefined)
        return { value: (decodeJson(applied) as { value: unknown }).value, repeated: true };
      const current = this.#current(key);
      const { stored, answer } = appliedChange(
        key,
        current === undefined ? undefined : decodeJson(current),
        change,
      );
      this.#put(key, encodeJson(stored, `variable ${key}`));
      this.#put(opKey, encodeJson({ key, value: answer }, `variable ${key}`));
      return { value: answer, repeated: false };
    });
  }

  #current(key: string): string | undefined {
    return this.#db.get<{ value: string }>('SELECT value FROM state WHERE key = :key', { key })?.value;
  }

  #put(key: string, text: string): void {
    this.#db.run(
      `INSERT INTO state (key, value, updated_at) VALUES (:key, :text, :now)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      { key, text, now: this.#clock() },
    );
  }
}

/** Compares as stored: `{ a: 1, b: undefined }` equals a stored `{ a: 1 }`, key order is irrelevant. */
function sameJson(storedText: string, expected: unknown): boolean {
  if (expected === undefined) return false;
  return isDeepStrictEqual(decodeJson(storedText), decodeJson(encodeJson(expected, 'expected state')));
}
