/**
 * EventLog on PostgreSQL with a Redis dedupe cache in front. PostgreSQL decides (the event_ids
 * primary key); Redis remembers ids it has seen for the dedupe retention, so a redelivery storm
 * is answered without touching the database. An id is cached only after PostgreSQL has stored
 * it: a crash between the two loses nothing, at worst one more database round trip.
 */
import type { Redis } from 'ioredis';
import type { PoolClient } from 'pg';
import { AutopilotError } from '../../errors.ts';
import { changeAlias } from '../../events/change-id.ts';
import { legacyEventIds } from '../../events/event-ids.ts';
import type { Event } from '../../events/event.ts';
import type { EventFailure, EventLog, EventPage, EventPageQuery, RunError, StoredEvent } from '../ports.ts';
import { errorJson, notUnprocessed, withFailures } from '../event-failures.ts';
import { requireCount, requireId, requireTime } from '../input-checks.ts';
import { decodeJson, encodeJson } from '../sqlite/json-codec.ts';
import { query, toNumber, transaction, type Db } from './postgres.ts';
import { guarded } from './store-error.ts';

interface EventRow {
  seq: string;
  body: string;
  received_at: string;
  processed_at: string | null;
  claims: number;
  last_error: string | null;
  dead_at: string | null;
}

const COLUMNS = 'seq, body, received_at, processed_at, claims, last_error, dead_at';
const UNPROCESSED = 'processed_at IS NULL AND dead_at IS NULL';

export interface PostgresEventLogOptions {
  db: Db;
  redis: Redis;
  /** Redis key prefix. */
  prefix: string;
  dedupeRetentionMs: number;
  /** Clock for what the port gives no time to (the dedupe floor of purge). */
  clock: () => number;
}

interface EventRowInput {
  id: string;
  body: string;
  /** `<project key>:<work item id>`, as the SQLite store's generated column (migrations.ts). */
  workItem: string | null;
}

/** The work item an event's claim is ordered by, or null for events without one. */
function workItemKey(event: Event): string | null {
  return event.projectKey && event.workItem?.id ? `${event.projectKey}:${event.workItem.id}` : null;
}

export class PostgresEventLog implements EventLog {
  readonly #db: Db;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #retentionMs: number;
  readonly #clock: () => number;

  constructor(options: PostgresEventLogOptions) {
    this.#db = options.db;
    this.#redis = options.redis;
    this.#prefix = `${options.prefix}dedupe:`;
    this.#retentionMs = options.dedupeRetentionMs;
    this.#clock = options.clock;
  }

  async append(event: Event, now: number): Promise<{ inserted: boolean }> {
    requireId('event id', event?.id);
    const body = encodeJson(event, `event ${event.id}`);
    const alias = changeAlias(event);
    const ids = alias === undefined ? [event.id] : [event.id, alias];
    for (const id of ids) if (await this.#seenRecently(id, now)) return { inserted: false };
    const row = { id: event.id, body, workItem: workItemKey(event) };
    const inserted =
      alias === undefined ? await this.#insert(row, now) : await this.#insertWithAlias(row, alias, now);
    if (inserted) for (const id of ids) await this.#remember(id, now);
    return { inserted };
  }

  /** An id it had before namespacing (stored by an older version) makes it a duplicate too. */
  async #insert(row: EventRowInput, now: number, db: Db | PoolClient = this.#db): Promise<boolean> {
    const { rowCount } = await query(
      db,
      `WITH fresh AS (
         INSERT INTO event_ids (id, received_at)
         SELECT $1, $3 WHERE NOT EXISTS (SELECT 1 FROM event_ids WHERE id = ANY($4::text[]))
         ON CONFLICT (id) DO NOTHING RETURNING id)
       INSERT INTO events (id, body, received_at, work_item) SELECT id, $2, $3, $5 FROM fresh`,
      [row.id, row.body, now, legacyEventIds(row.id), row.workItem],
    );
    return rowCount === 1;
  }

  /**
   * The change id is claimed first, in the same transaction: a concurrent append of the same
   * change under its other id waits on the key and then finds it taken.
   */
  async #insertWithAlias(row: EventRowInput, alias: string, now: number): Promise<boolean> {
    return transaction(this.#db, async (client) => {
      const claimed = await query(
        client,
        'INSERT INTO event_ids (id, received_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id',
        [alias, now],
      );
      if (claimed.rowCount === 0) return false;
      if (await this.#insert(row, now, client)) return true;
      await query(client, 'DELETE FROM event_ids WHERE id = $1', [alias]);
      return false;
    });
  }

  async claimUnprocessed(owner: string, limit: number, leaseMs: number, now: number): Promise<StoredEvent[]> {
    requireId('owner', owner);
    requireCount('limit', limit);
    requireCount('leaseMs', leaseMs);
    const { rows } = await query<EventRow>(
      this.#db,
      `UPDATE events SET lease_owner = $1, lease_until = $2, claims = claims + 1
       WHERE seq IN (
         SELECT seq FROM events AS e
         WHERE ${UNPROCESSED} AND (lease_until IS NULL OR lease_until <= $3)
           AND (e.work_item IS NULL OR NOT EXISTS (SELECT 1 FROM events AS w
             WHERE w.work_item = e.work_item AND w.seq < e.seq AND w.processed_at IS NULL
               AND w.dead_at IS NULL AND w.lease_until > $3))
         ORDER BY seq LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [owner, now + leaseMs, now, limit],
    );
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toStoredEvent);
  }

  async recordFailure(eventId: string, failure: EventFailure, _now: number): Promise<void> {
    if (failure.retryAt !== undefined) requireTime('retryAt', failure.retryAt);
    const { rowCount } = await query(
      this.#db,
      `UPDATE events SET last_error = coalesce($2, last_error),
         claims = CASE WHEN $3 THEN claims ELSE greatest(claims - 1, 0) END,
         lease_until = CASE WHEN $4::bigint IS NOT NULL AND (lease_until IS NULL OR $4::bigint < lease_until)
           THEN $4::bigint ELSE lease_until END
       WHERE id = $1 AND ${UNPROCESSED}`,
      [eventId, errorJson(failure.error), failure.counted, failure.retryAt ?? null],
    );
    if (rowCount === 0) throw notUnprocessed(eventId);
  }

  async deadLetter(eventId: string, error: RunError, now: number): Promise<void> {
    const { rowCount } = await query(
      this.#db,
      `UPDATE events SET dead_at = $2, last_error = $3, lease_owner = NULL, lease_until = NULL
       WHERE id = $1 AND ${UNPROCESSED}`,
      [eventId, now, errorJson(error)],
    );
    if (rowCount === 0) throw notUnprocessed(eventId);
  }

  async listDead(limit = 1000): Promise<StoredEvent[]> {
    requireCount('limit', limit);
    const { rows } = await query<EventRow>(
      this.#db,
      `SELECT ${COLUMNS} FROM events WHERE dead_at IS NOT NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows.map(toStoredEvent);
  }

  async requeueDead(eventId: string, _now: number): Promise<boolean> {
    const { rowCount } = await query(
      this.#db,
      'UPDATE events SET dead_at = NULL, claims = 0 WHERE id = $1 AND dead_at IS NOT NULL',
      [eventId],
    );
    return rowCount > 0;
  }

  async dropDead(eventId: string): Promise<boolean> {
    const { rowCount } = await query(this.#db, 'DELETE FROM events WHERE id = $1 AND dead_at IS NOT NULL', [
      eventId,
    ]);
    return rowCount > 0;
  }

  async markProcessed(eventId: string, now: number): Promise<void> {
    const { rowCount } = await query(
      this.#db,
      `UPDATE events SET processed_at = coalesce(processed_at, $2), lease_owner = NULL, lease_until = NULL,
         claims = 0
       WHERE id = $1 AND dead_at IS NULL`,
      [eventId, now],
    );
    if (rowCount > 0) return;
    const known = await query(this.#db, 'SELECT 1 FROM event_ids WHERE id = $1', [eventId]);
    if (known.rowCount === 0) {
      throw new AutopilotError('AP_NOT_FOUND', `event ${eventId} was never appended`, { eventId });
    }
  }

  async get(eventId: string): Promise<StoredEvent | undefined> {
    const { rows } = await query<EventRow>(this.#db, `SELECT ${COLUMNS} FROM events WHERE id = $1`, [
      eventId,
    ]);
    return rows[0] && toStoredEvent(rows[0]);
  }

  async pendingCount(): Promise<number> {
    const { rows } = await query<{ n: string }>(
      this.#db,
      `SELECT count(*) AS n FROM events WHERE ${UNPROCESSED}`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async listReceived(query: EventPageQuery): Promise<EventPage> {
    const limit = query.limit ?? 500;
    requireCount('limit', limit);
    const after = query.after ?? '0';
    if (!/^\d{1,18}$/.test(after))
      throw new AutopilotError('AP_STORE_BAD_INPUT', `not an event page cursor: ${after}`);
    const { rows } = await selectReceived(this.#db, query, after, limit);
    const last = rows.at(-1);
    return {
      events: rows.map(toStoredEvent),
      ...(rows.length === limit && last ? { next: String(last.seq) } : {}),
    };
  }

  async purge(olderThan: number): Promise<number> {
    const dedupeFloor = Math.min(olderThan, this.#clock() - this.#retentionMs);
    return transaction(this.#db, async (client) => {
      const { rowCount } = await query(
        client,
        'DELETE FROM events WHERE processed_at IS NOT NULL AND received_at < $1',
        [olderThan],
      );
      await query(
        client,
        `DELETE FROM event_ids WHERE received_at < $1
         AND NOT EXISTS (SELECT 1 FROM events WHERE events.id = event_ids.id)`,
        [dedupeFloor],
      );
      return rowCount;
    });
  }

  /** The cache holds the time until which the id deduplicates, on the callers' clock. */
  async #seenRecently(eventId: string, now: number): Promise<boolean> {
    const until = await guarded('Redis', () => this.#redis.get(this.#prefix + eventId));
    return until !== null && Number(until) > now;
  }

  async #remember(eventId: string, now: number): Promise<void> {
    await guarded('Redis', () =>
      this.#redis.set(this.#prefix + eventId, String(now + this.#retentionMs), 'PX', this.#retentionMs),
    );
  }
}

function selectReceived(db: Db, q: EventPageQuery, after: string, limit: number) {
  return query<EventRow>(
    db,
    `SELECT ${COLUMNS} FROM events
     WHERE seq > $1 AND received_at >= $2 AND received_at < $3 ORDER BY seq LIMIT $4`,
    [after, q.since, q.until, limit],
  );
}

function toStoredEvent(row: EventRow): StoredEvent {
  const stored: StoredEvent = { event: decodeJson(row.body) as Event, receivedAt: Number(row.received_at) };
  const processedAt = toNumber(row.processed_at);
  if (processedAt !== undefined) stored.processedAt = processedAt;
  return withFailures(stored, {
    claims: row.claims,
    lastErrorJson: row.last_error,
    deadAt: toNumber(row.dead_at),
  });
}
