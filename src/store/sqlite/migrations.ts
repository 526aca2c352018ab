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

// The dashboard's read models, kept in the audit's own transactions (src/store/audit-summary.ts).
// Existing audits are summarized once: counts from every record, event rows from the rule
// decisions (type and source from the event body while the event log still has it).
const DASHBOARD_SUMMARIES = `
CREATE TABLE audit_counts (
  bucket INTEGER NOT NULL,
  kind TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  n INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (bucket, kind, rule_id)
) WITHOUT ROWID;
CREATE INDEX audit_counts_rule ON audit_counts (kind, rule_id, last_at);

CREATE TABLE audit_events (
  event_id TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT,
  source TEXT,
  work_item TEXT,
  work_item_name TEXT,
  candidates INTEGER NOT NULL DEFAULT 0,
  matched_rules TEXT NOT NULL DEFAULT '[]',
  matched INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX audit_events_at ON audit_events (at, event_id);
CREATE INDEX audit_events_type ON audit_events (type, at, event_id);
CREATE INDEX audit_events_work_item ON audit_events (work_item, at, event_id);
CREATE INDEX audit_rule_decisions ON audit (rule_id, at, event_id)
  WHERE kind IN ('rule.matched', 'rule.not_matched', 'rule.error');
CREATE INDEX audit_problems ON audit (at)
  WHERE kind IN ('rule.error', 'run.dead_lettered', 'loop_stopped', 'breaker_open');

INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at)
  SELECT (at / 3600000) * 3600000, kind, '', count(*), max(at) FROM audit GROUP BY 1, 2;
INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at)
  SELECT (at / 3600000) * 3600000, kind, rule_id, count(*), max(at) FROM audit
  WHERE rule_id IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO audit_events (event_id, at, type, source, work_item, candidates, matched_rules, matched)
  SELECT a.event_id, min(a.at), json_extract(e.body, '$.type'), json_extract(e.body, '$.source'),
    max(a.work_item), count(*),
    coalesce(json_group_array(a.rule_id) FILTER (WHERE a.kind = 'rule.matched'), '[]'),
    sum(a.kind = 'rule.matched')
  FROM audit a LEFT JOIN events e ON e.id = a.event_id
  WHERE a.kind IN ('rule.matched', 'rule.not_matched', 'rule.error') AND a.event_id IS NOT NULL
  GROUP BY a.event_id;
UPDATE audit_events SET
  succeeded = (SELECT count(*) FROM audit a WHERE a.event_id = audit_events.event_id AND a.kind = 'run.succeeded'),
  dead = (SELECT count(*) FROM audit a WHERE a.event_id = audit_events.event_id AND a.kind = 'run.dead_lettered');
`;

const RUN_COPY_COLUMNS = `seq, id, event_id, rule_id, lane, priority, position, state, is_head, run_at,
  lease_owner, lease_until, next_action, attempt, first_attempt_at, run_json, results_json,
  last_error_json, updated_at`;

// SQLite cannot change a CHECK constraint in place: the table is rebuilt with 'parked' allowed.
// progress_json is the cursor inside the current step, wake_json why a parked run woke up
// (docs/design/run-program.md). Parked runs due are found through runs_state (state, run_at).
const RUN_PARKING = `
CREATE TABLE runs_new (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  event_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  lane TEXT NOT NULL,
  priority INTEGER NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'parked', 'succeeded', 'skipped', 'dead')),
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
  updated_at INTEGER NOT NULL,
  progress_json TEXT,
  wake_json TEXT
);
INSERT INTO runs_new (${RUN_COPY_COLUMNS}) SELECT ${RUN_COPY_COLUMNS} FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_heads ON runs (priority, run_at, position) WHERE is_head = 1;
CREATE INDEX runs_lane_active ON runs (lane, position) WHERE state IN ('queued', 'running');
CREATE INDEX runs_state ON runs (state, run_at);
CREATE INDEX runs_position ON runs (position);
CREATE INDEX runs_event ON runs (event_id);
CREATE INDEX runs_rule ON runs (rule_id);
`;

// Poison events and runs: claims counted until a verdict; for events also the last failure and a
// dead-letter mark that takes an event out of processing (and out of the unprocessed index).
const POISON_CLAIMS = `
ALTER TABLE runs ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN last_error_json TEXT;
ALTER TABLE events ADD COLUMN dead_at INTEGER;
DROP INDEX events_unprocessed;
CREATE INDEX events_unprocessed ON events (seq) WHERE processed_at IS NULL AND dead_at IS NULL;
CREATE INDEX events_dead ON events (seq) WHERE dead_at IS NOT NULL;
`;

// A work item's events are claimed in order: an event waits while an earlier one of its work
// item is leased (in processing, or waiting for its retry). The work item is read from the body
// (a virtual column: nothing to write on append), indexed among the unprocessed events only.
const WORK_ITEM_ORDER = `
ALTER TABLE events ADD COLUMN work_item TEXT
  GENERATED ALWAYS AS (json_extract(body, '$.projectKey') || ':' || json_extract(body, '$.workItem.id')) VIRTUAL;
CREATE INDEX events_work_item_unprocessed ON events (work_item, seq)
  WHERE processed_at IS NULL AND dead_at IS NULL;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: INITIAL_SCHEMA },
  { version: 2, name: 'run parking and step progress', sql: RUN_PARKING },
  { version: 3, name: 'dashboard summaries', sql: DASHBOARD_SUMMARIES },
  { version: 4, name: 'event and run claims, event dead letters', sql: POISON_CLAIMS },
  { version: 5, name: "a work item's events claimed in order", sql: WORK_ITEM_ORDER },
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
