/**
 * Versioned schema. `PRAGMA user_version` holds the version applied; `migrate` applies the
 * missing steps in one transaction at open, and refuses a database from a newer engine rather
 * than guess at a schema it does not know. Append new steps; never edit a released one.
 */
import type { DatabaseSync } from 'node:sqlite';
import { AutopilotError } from '../../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const INITIAL_SCHEMA = `
-- Dedupe ids outlive event bodies: purge may drop a processed body early, the id stays ≥ 72 h.
CREATE TABLE event_ids (
  id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX event_ids_received ON event_ids (received_at);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE REFERENCES event_ids (id),
  body TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  processed_at INTEGER,
  lease_owner TEXT,
  lease_until INTEGER
);
CREATE INDEX events_unprocessed ON events (seq) WHERE processed_at IS NULL;
CREATE INDEX events_processed ON events (received_at) WHERE processed_at IS NOT NULL;

CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('run_position', 0);

-- position orders a lane (enqueue, or requeue to the back); is_head marks the one active run of
-- each lane that may be claimed, so claiming reads one small index instead of grouping lanes.
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  event_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  lane TEXT NOT NULL,
  priority INTEGER NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'skipped', 'dead')),
  is_head INTEGER NOT NULL CHECK (is_head IN (0, 1)),
  run_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  next_action INTEGER NOT NULL DEFAULT 0,
  attempt INTEGER NOT NULL DEFAULT 0,
  first_attempt_at INTEGER,
  run_json TEXT NOT NULL,
  results_json TEXT NOT NULL DEFAULT '[]',
  last_error_json TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX runs_heads ON runs (priority, run_at, position) WHERE is_head = 1;
CREATE INDEX runs_lane_active ON runs (lane, position) WHERE state IN ('queued', 'running');
CREATE INDEX runs_state ON runs (state, run_at);
CREATE INDEX runs_position ON runs (position);
CREATE INDEX runs_event ON runs (event_id);
CREATE INDEX runs_rule ON runs (rule_id);

CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  event_id TEXT,
  rule_id TEXT,
  run_id TEXT,
  work_item TEXT,
  action_index INTEGER,
  detail_json TEXT
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_event ON audit (event_id, at) WHERE event_id IS NOT NULL;
CREATE INDEX audit_rule ON audit (rule_id, at) WHERE rule_id IS NOT NULL;
CREATE INDEX audit_run ON audit (run_id, at) WHERE run_id IS NOT NULL;
CREATE INDEX audit_work_item ON audit (work_item, at) WHERE work_item IS NOT NULL;

CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

// Poison events: claims counted until a verdict, the last failure kept, and a dead-letter mark
// that takes an event out of processing (and out of the unprocessed index) for good.
const EVENT_CLAIMS = `
ALTER TABLE events ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN last_error_json TEXT;
ALTER TABLE events ADD COLUMN dead_at INTEGER;
DROP INDEX events_unprocessed;
CREATE INDEX events_unprocessed ON events (seq) WHERE processed_at IS NULL AND dead_at IS NULL;
CREATE INDEX events_dead ON events (seq) WHERE dead_at IS NOT NULL;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'event claims and dead letters', sql: EVENT_CLAIMS },
];

/** Applies the missing migrations; returns the version the database is at afterwards. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new AutopilotError(
        'AP_INTERNAL',
        `migration "${migration.name}" has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
  const latest = migrations.at(-1)?.version ?? 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Read inside the lock: another process may have migrated while we waited for it.
    const current = userVersion(db);
    if (current > latest) {
      throw new AutopilotError(
        'AP_STORE_SCHEMA_NEWER',
        `the database is at schema version ${current}, this engine knows up to ${latest}: ` +
          'it was written by a newer engine; upgrade the engine or restore a backup',
        { current, latest },
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
    }
    db.exec(`PRAGMA user_version = ${latest}`);
    db.exec('COMMIT');
    return latest;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}
