/** Opens the embedded profile's four stores on one SQLite file. */
import { DatabaseSync } from 'node:sqlite';
import { AutopilotError } from '../../errors.ts';
import type { Stores } from '../ports.ts';
import { SqliteDb, storeError } from './database.ts';
import { takeBackGoneLeases, type TakenBack } from './gone-owner-leases.ts';
import { migrate } from './migrations.ts';
import { SqliteAuditStore } from './sqlite-audit-store.ts';
import { SqliteEventLog } from './sqlite-event-log.ts';
import { SqliteRunQueue } from './sqlite-run-queue.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';

export const DEFAULT_DEDUPE_RETENTION_MS = 72 * 60 * 60 * 1000;

export interface SqliteStoreOptions {
  /** Database file, created if missing, or `':memory:'` (tests; nothing survives). */
  path: string;
  /** Clock for what the ports do not pass a time to (dedupe retention floor, state timestamps). @defaultValue Date.now */
  now?: () => number;
  /**
   * `FULL` syncs the WAL on every commit: a resolved write survives a crash and a power loss.
   * `NORMAL` syncs only at checkpoints: survives a process crash, may lose the last commits on
   * power loss, and commits several times faster.
   * @defaultValue 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's lock before failing with AP_STORE. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /** Event ids deduplicate appends at least this long, whatever purge is asked. @defaultValue 72 h */
  dedupeRetentionMs?: number;
}

/** What the database actually runs with, read back from SQLite after opening. */
export interface SqliteStoreInfo {
  path: string;
  journalMode: string;
  synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  schemaVersion: number;
}

export interface SqliteStores extends Stores {
  readonly info: SqliteStoreInfo;
  /** Runs and events leased by processes that are gone become claimable now (see gone-owner-leases.ts). */
  takeBackGoneLeases(gone: (owner: string) => boolean, now: number): TakenBack;
}

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export async function openSqliteStores(options: SqliteStoreOptions): Promise<SqliteStores> {
  const settings = checkOptions(options);
  const connection = connect(settings);
  const db = new SqliteDb(connection);
  const clock = options.now ?? Date.now;
  const audit = new SqliteAuditStore(db);
  return {
    info: readInfo(connection, settings.path),
    events: new SqliteEventLog(db, settings.dedupeRetentionMs, clock),
    runs: new SqliteRunQueue(db),
    audit,
    views: audit,
    state: new SqliteStateStore(db, clock),
    takeBackGoneLeases: (gone, now) => takeBackGoneLeases(db, gone, now),
    close: async () => db.close(),
  };
}

function readInfo(connection: DatabaseSync, path: string): SqliteStoreInfo {
  const pragma = (name: string) => Object.values(connection.prepare(`PRAGMA ${name}`).get() ?? {})[0];
  return {
    path,
    journalMode: String(pragma('journal_mode')),
    synchronous: SYNCHRONOUS_NAMES[Number(pragma('synchronous'))] ?? 'OFF',
    schemaVersion: Number(pragma('user_version')),
  };
}

function connect(settings: Required<Omit<SqliteStoreOptions, 'now'>>): DatabaseSync {
  let connection: DatabaseSync | undefined;
  try {
    connection = new DatabaseSync(settings.path, {
      timeout: settings.busyTimeoutMs,
      enableForeignKeyConstraints: true,
    });
    const journal = connection.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (settings.path !== ':memory:' && journal.journal_mode !== 'wal') {
      throw new AutopilotError(
        'AP_STORE',
        `SQLite refused WAL mode for ${settings.path} (got ${journal.journal_mode})`,
      );
    }
    connection.exec(`PRAGMA synchronous = ${settings.synchronous}`);
    migrate(connection);
    return connection;
  } catch (error) {
    connection?.close();
    if (error instanceof AutopilotError) throw error;
    throw storeError(error);
  }
}

function checkOptions(options: SqliteStoreOptions): Required<Omit<SqliteStoreOptions, 'now'>> {
  const problems: string[] = [];
  const {
    path,
    synchronous = 'FULL',
    busyTimeoutMs = 5000,
    dedupeRetentionMs = DEFAULT_DEDUPE_RETENTION_MS,
  } = options ?? {};
  if (typeof path !== 'string' || path.length === 0) problems.push('path must be a file path or ":memory:"');
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') problems.push('synchronous must be FULL or NORMAL');
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    problems.push('busyTimeoutMs must be a non-negative integer');
  }
  if (!Number.isSafeInteger(dedupeRetentionMs) || dedupeRetentionMs < DEFAULT_DEDUPE_RETENTION_MS) {
    problems.push('dedupeRetentionMs must be an integer of at least 72 h (259200000)');
  }
  if (problems.length > 0) {
    throw new AutopilotError('AP_CONFIG_INVALID', `SQLite store options: ${problems.join('; ')}`, {
      problems,
    });
  }
  return { path, synchronous, busyTimeoutMs, dedupeRetentionMs };
}
