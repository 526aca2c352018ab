/**
 * Versioned PostgreSQL schema. `schema_migrations` records each step applied; `migrate` applies
 * the missing ones in one transaction under an advisory lock (several engine processes may start
 * at once), and refuses a schema written by a newer engine. Append new steps; never edit one.
 */
import { AutopilotError } from '../../errors.ts';
import { query, transaction, type Db } from './postgres.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, audit, state',
    sql: `
-- Dedupe ids outlive event bodies: purge may drop a processed body early, the id stays ≥ 72 h.
CREATE TABLE event_ids (
  id text PRIMARY KEY,
  received_at bigint NOT NULL
);
CREATE INDEX event_ids_received ON event_ids (received_at);

-- Bodies are JSON text written by the shared codec, so integers past 2^53 keep every digit.
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE REFERENCES event_ids (id),
  body text NOT NULL,
  received_at bigint NOT NULL,
  processed_at bigint,
  lease_owner text,
  lease_until bigint
);
CREATE INDEX events_unprocessed ON events (seq) WHERE processed_at IS NULL;
CREATE INDEX events_processed ON events (received_at) WHERE processed_at IS NOT NULL;

CREATE TABLE audit (
  seq bigserial PRIMARY KEY,
  at bigint NOT NULL,
  kind text NOT NULL,
  event_id text,
  rule_id text,
  run_id text,
  work_item text,
  action_index integer,
  detail text
);
CREATE INDEX audit_at ON audit (at, seq);
CREATE INDEX audit_event ON audit (event_id, at, seq) WHERE event_id IS NOT NULL;
CREATE INDEX audit_rule ON audit (rule_id, at, seq) WHERE rule_id IS NOT NULL;
CREATE INDEX audit_run ON audit (run_id, at, seq) WHERE run_id IS NOT NULL;
CREATE INDEX audit_work_item ON audit (work_item, at, seq) WHERE work_item IS NOT NULL;

CREATE TABLE state (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'dashboard summaries',
    // The dashboard's read models, kept in the audit's own statements (src/store/audit-summary.ts);
    // existing audits are summarized once, as in the SQLite migration.
    sql: `
CREATE TABLE audit_counts (
  bucket bigint NOT NULL,
  kind text NOT NULL,
  rule_id text NOT NULL,
  n bigint NOT NULL,
  last_at bigint NOT NULL,
  PRIMARY KEY (bucket, kind, rule_id)
);
CREATE INDEX audit_counts_rule ON audit_counts (kind, rule_id, last_at);

CREATE TABLE audit_events (
  event_id text PRIMARY KEY,
  at bigint NOT NULL,
  type text,
  source text,
  work_item text,
  work_item_name text,
  candidates integer NOT NULL DEFAULT 0,
  matched_rules text NOT NULL DEFAULT '[]',
  matched integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  dead integer NOT NULL DEFAULT 0
);
CREATE INDEX audit_events_at ON audit_events (at, event_id);
CREATE INDEX audit_events_type ON audit_events (type, at, event_id);
CREATE INDEX audit_events_work_item ON audit_events (work_item, at, event_id);
CREATE INDEX audit_rule_decisions ON audit (rule_id, at, event_id)
  WHERE kind IN ('rule.matched', 'rule.not_matched', 'rule.error');
CREATE INDEX audit_problems ON audit (at, seq)
  WHERE kind IN ('rule.error', 'run.dead_lettered', 'loop_stopped', 'breaker_open');

INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at)
  SELECT (at / 3600000) * 3600000, kind, '', count(*), max(at) FROM audit GROUP BY 1, 2;
INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at)
  SELECT (at / 3600000) * 3600000, kind, rule_id, count(*), max(at) FROM audit
  WHERE rule_id IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO audit_events (event_id, at, type, source, work_item, candidates, matched_rules, matched,
    succeeded, dead)
  SELECT a.event_id, min(a.at), min(e.body::json->>'type'), min(e.body::json->>'source'),
    max(a.work_item), count(*) FILTER (WHERE a.kind LIKE 'rule.%'),
    coalesce(json_agg(a.rule_id) FILTER (WHERE a.kind = 'rule.matched'), '[]'::json)::text,
    count(*) FILTER (WHERE a.kind = 'rule.matched'),
    count(*) FILTER (WHERE a.kind = 'run.succeeded'),
    count(*) FILTER (WHERE a.kind = 'run.dead_lettered')
  FROM audit a LEFT JOIN events e ON e.id = a.event_id
  WHERE a.event_id IS NOT NULL
    AND a.kind IN ('rule.matched', 'rule.not_matched', 'rule.error', 'run.succeeded', 'run.dead_lettered')
  GROUP BY a.event_id;
`,
  },
  {
    version: 3,
    name: 'event claims and dead letters',
    sql: `
-- Poison events: claims counted until a verdict, the last failure kept, and a dead-letter mark
-- that takes an event out of processing (and out of the unprocessed index) for good.
ALTER TABLE events ADD COLUMN claims integer NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN last_error text;
ALTER TABLE events ADD COLUMN dead_at bigint;
DROP INDEX events_unprocessed;
CREATE INDEX events_unprocessed ON events (seq) WHERE processed_at IS NULL AND dead_at IS NULL;
CREATE INDEX events_dead ON events (seq) WHERE dead_at IS NOT NULL;
`,
  },
  {
    version: 4,
    name: "a work item's events claimed in order",
    sql: `
-- An event waits while an earlier one of its work item is leased (in processing on any engine, or
-- waiting for its retry). The engine writes the work item on append (a body with a NUL escape is
-- no jsonb, so it is not read back from the body here); events stored before have none and are
-- not held.
ALTER TABLE events ADD COLUMN work_item text;
CREATE INDEX events_work_item_unprocessed ON events (work_item, seq)
  WHERE processed_at IS NULL AND dead_at IS NULL;
`,
  },
];

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Brings `schema` up to the newest version; returns the versions it applied. */
export async function migrate(db: Db, schema: string, migrations = MIGRATIONS): Promise<number[]> {
  if (!SCHEMA_NAME.test(schema)) {
    throw new AutopilotError(
      'AP_CONFIG_INVALID',
      `PostgreSQL schema name ${JSON.stringify(schema)} is not allowed`,
    );
  }
  return transaction(db, async (client) => {
    await query(client, 'SELECT pg_advisory_xact_lock(hashtext($1))', [`fp-autopilot:${schema}`]);
    await query(client, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await query(
      client,
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await query<{ version: number | null }>(
      client,
      `SELECT max(version) AS version FROM ${schema}.schema_migrations`,
    );
    const current = rows[0]?.version ?? 0;
    const newest = migrations.at(-1)?.version ?? 0;
    if (current > newest) {
      throw new AutopilotError(
        'AP_STORE_SCHEMA_NEWER',
        `PostgreSQL schema ${schema} is at version ${current}, newer than this engine knows (${newest}); upgrade the engine`,
        { schema, current, newest },
      );
    }
    const applied: number[] = [];
    for (const migration of migrations.filter((m) => m.version > current)) {
      await query(client, `SET LOCAL search_path TO ${schema}`);
      await query(client, migration.sql);
      await query(client, `INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
