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
