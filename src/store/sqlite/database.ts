/**
 * A thin wrapper over one `node:sqlite` connection: cached statements, write transactions that
 * take the write lock up front, and driver errors turned into `AP_STORE`.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { AutopilotError, isAutopilotError } from '../../errors.ts';

export type Row = Record<string, unknown>;
export type Params = Record<string, SQLInputValue>;

export class SqliteDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * Runs `work` in one transaction. BEGIN IMMEDIATE takes the write lock before reading, so a
   * read-check-write (a lease check, a compare-and-set) cannot interleave with another process.
   */
  write<T>(work: () => T): T {
    return this.#guard(() => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = work();
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  /** Runs reads outside a write transaction (each statement sees one consistent snapshot). */
  read<T>(work: () => T): T {
    return this.#guard(work);
  }

  /** Runs several reads that must agree with each other in one read transaction. */
  snapshot<T>(work: () => T): T {
    return this.#guard(() => {
      this.#db.exec('BEGIN DEFERRED');
      try {
        return work();
      } finally {
        this.#db.exec('COMMIT');
      }
    });
  }

  run(sql: string, params: Params = {}): { changes: number } {
    const result = this.#statement(sql).run(params);
    return { changes: Number(result.changes) };
  }

  get<T extends Row>(sql: string, params: Params = {}): T | undefined {
    return this.#statement(sql).get(params) as T | undefined;
  }

  all<T extends Row>(sql: string, params: Params = {}): T[] {
    return this.#statement(sql).all(params) as T[];
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #guard<T>(work: () => T): T {
    if (this.#closed) throw new AutopilotError('AP_STORE', 'the SQLite store is closed');
    try {
      return work();
    } catch (error) {
      if (isAutopilotError(error)) throw error;
      throw storeError(error);
    }
  }
}

export function storeError(error: unknown): AutopilotError {
  const detail = error as { errcode?: number; errstr?: string; message?: string };
  return new AutopilotError(
    'AP_STORE',
    `SQLite: ${detail.message ?? String(error)}`,
    { sqliteCode: detail.errcode, sqliteError: detail.errstr },
    { cause: error },
  );
}
