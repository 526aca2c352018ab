/** StateStore on PostgreSQL: JSON values by key; compare-and-set compares values, not their text. */
import { isDeepStrictEqual } from 'node:util';
import { VAR_OP_PREFIX, type PurgeKeep, type StateStore, type VarChange, type VarUpdate } from '../ports.ts';
import { appliedChange, checkVarUpdate } from '../var-change.ts';
import { checkedKeep, requireId } from '../input-checks.ts';
import { decodeJson, encodeJson } from '../sqlite/json-codec.ts';
import { query, transaction, type Db } from './postgres.ts';

export class PostgresStateStore implements StateStore {
  readonly #db: Db;
  readonly #clock: () => number;

  constructor(db: Db, clock: () => number) {
    this.#db = db;
    this.#clock = clock;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const { rows } = await query<{ value: string }>(this.#db, 'SELECT value FROM state WHERE key = $1', [
      key,
    ]);
    return rows[0] === undefined ? undefined : (decodeJson(rows[0].value) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    requireId('state key', key);
    const text = encodeJson(value, `state ${key}`);
    await query(
      this.#db,
      `INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, text, this.#clock()],
    );
  }

  async compareAndSet(key: string, expected: unknown, value: unknown): Promise<boolean> {
    requireId('state key', key);
    const text = encodeJson(value, `state ${key}`);
    if (expected === undefined) {
      const { rowCount } = await query(
        this.#db,
        'INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
        [key, text, this.#clock()],
      );
      return rowCount === 1;
    }
    const wanted = decodeJson(encodeJson(expected, 'expected state'));
    return transaction(this.#db, async (client) => {
      const { rows } = await query<{ value: string }>(
        client,
        'SELECT value FROM state WHERE key = $1 FOR UPDATE',
        [key],
      );
      const current = rows[0];
      if (current === undefined || !isDeepStrictEqual(decodeJson(current.value), wanted)) return false;
      await query(client, 'UPDATE state SET value = $2, updated_at = $3 WHERE key = $1', [
        key,
        text,
        this.#clock(),
      ]);
      return true;
    });
  }

  async delete(key: string): Promise<void> {
    await query(this.#db, 'DELETE FROM state WHERE key = $1', [key]);
  }

  async updateVar(key: string, change: VarChange, opId: string): Promise<VarUpdate> {
    checkVarUpdate(key, change, opId);
    const opKey = VAR_OP_PREFIX + opId;
    return transaction(this.#db, async (client) => {
      // Serializes every change of this variable across processes until commit (a row lock
      // cannot: an absent variable has no row yet). An op always changes the same variable, so
      // this lock serializes repeats of the op too.
      await query(client, 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
      const read = async (k: string) =>
        (await query<{ value: string }>(client, 'SELECT value FROM state WHERE key = $1', [k])).rows[0];
      const applied = await read(opKey);
      if (applied !== undefined)
        return { value: (decodeJson(applied.value) as { value: unknown }).value, repeated: true };
      const current = await read(key);
      const { stored, answer } = appliedChange(
        key,
        current === undefined ? undefined : decodeJson(current.value),
        change,
      );
      const now = this.#clock();
      const upsert = `INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;
      await query(client, upsert, [key, encodeJson(stored, `variable ${key}`), now]);
      await query(client, upsert, [opKey, encodeJson({ key, value: answer }, `variable ${key}`), now]);
      return { value: answer, repeated: false };
    });
  }

  async purgePrefix(prefix: string, olderThan: number, keep?: PurgeKeep): Promise<number> {
    requireId('state key prefix', prefix);
    const kept = keep ? checkedKeep(keep) : undefined;
    const { rowCount } = await query(
      this.#db,
      kept
        ? 'DELETE FROM state WHERE left(key, length($1)) = $1 AND updated_at < $2 AND (value::jsonb ->> $3) IS DISTINCT FROM $4'
        : 'DELETE FROM state WHERE left(key, length($1)) = $1 AND updated_at < $2',
      kept ? [prefix, olderThan, kept.field, kept.equals] : [prefix, olderThan],
    );
    return rowCount ?? 0;
  }
}
