/** EventLog on SQLite: dedupe ids in their own table so they outlive purged event bodies. */
import { AutopilotError } from '../../errors.ts';
import { changeAlias } from '../../events/change-id.ts';
import { legacyEventIds } from '../../events/event-ids.ts';
import type { Event } from '../../events/event.ts';
import type { EventFailure, EventLog, EventPage, EventPageQuery, RunError, StoredEvent } from '../ports.ts';
import type { SqliteDb } from './database.ts';
import { decodeJson, encodeJson } from './json-codec.ts';
import { errorJson, notUnprocessed, withFailures } from '../event-failures.ts';
import { requireCount, requireId, requireTime } from '../input-checks.ts';

interface EventRow {
  [column: string]: unknown;
  body: string;
  received_at: number;
  processed_at: number | null;
  claims: number;
  last_error_json: string | null;
  dead_at: number | null;
}

const COLUMNS = 'body, received_at, processed_at, claims, last_error_json, dead_at';
const UNPROCESSED = 'processed_at IS NULL AND dead_at IS NULL';
/**
 * The claim: unprocessed events not leased, oldest first, each only when no earlier event of its
 * work item is leased (in processing, or waiting for its retry), so a work item's events are
 * matched in the order they were stored, across retries too. Exported for its query plan test
 * (test/store/sqlite-query-plans.test.ts): the unprocessed index and, per candidate, a search of
 * events_work_item_unprocessed, never a scan of the table.
 */
export const CLAIM_EVENTS_SQL = `SELECT seq, ${COLUMNS} FROM events AS e
  WHERE ${UNPROCESSED} AND (lease_until IS NULL OR lease_until <= :now)
    AND (e.work_item IS NULL OR NOT EXISTS (SELECT 1 FROM events AS w
      WHERE w.work_item = e.work_item AND w.seq < e.seq AND w.processed_at IS NULL
        AND w.dead_at IS NULL AND w.lease_until > :now))
  ORDER BY seq LIMIT :limit`;

export class SqliteEventLog implements EventLog {
  readonly #db: SqliteDb;
  readonly #dedupeRetentionMs: number;
  readonly #clock: () => number;

  constructor(db: SqliteDb, dedupeRetentionMs: number, clock: () => number) {
    this.#db = db;
    this.#dedupeRetentionMs = dedupeRetentionMs;
    this.#clock = clock;
  }

  async append(event: Event, now: number): Promise<{ inserted: boolean }> {
    const [result] = await this.appendMany([event], now);
    return result as { inserted: boolean };
  }

  async appendMany(events: readonly Event[], now: number): Promise<Array<{ inserted: boolean }>> {
    const encoded = events.map((event) => {
      requireId('event id', event?.id);
      return { id: event.id, alias: changeAlias(event), body: encodeJson(event, `event ${event.id}`) };
    });
    return this.#db.write(() => encoded.map((e) => this.#insert(e.id, e.alias, e.body, now)));
  }

  /**
   * The change id is kept beside the delivery id in event_ids (same retention), so the same
   * change delivered again under another id (its operation record) is a duplicate too; so is
   * a delivery stored under its id from before ids were namespaced.
   */
  #insert(id: string, alias: string | undefined, body: string, now: number): { inserted: boolean } {
    for (const taken of [...legacyEventIds(id), ...(alias === undefined ? [] : [alias])]) {
      if (this.#db.get('SELECT 1 AS found FROM event_ids WHERE id = :id', { id: taken }))
        return { inserted: false };
    }
    const fresh = this.#db.run('INSERT OR IGNORE INTO event_ids (id, received_at) VALUES (:id, :now)', {
      id,
      now,
    });
    if (fresh.changes === 0) return { inserted: false };
    if (alias !== undefined)
      this.#db.run('INSERT INTO event_ids (id, received_at) VALUES (:alias, :now)', { alias, now });
    this.#db.run('INSERT INTO events (id, body, received_at) VALUES (:id, :body, :now)', { id, body, now });
    return { inserted: true };
  }

  async claimUnprocessed(owner: string, limit: number, leaseMs: number, now: number): Promise<StoredEvent[]> {
    requireId('owner', owner);
    requireCount('limit', limit);
    requireCount('leaseMs', leaseMs);
    return this.#db.write(() => {
      const rows = this.#db.all<EventRow & { seq: number }>(CLAIM_EVENTS_SQL, { now, limit });
      for (const row of rows) {
        this.#db.run(
          'UPDATE events SET lease_owner = :owner, lease_until = :until, claims = claims + 1 WHERE seq = :seq',
          { owner, until: now + leaseMs, seq: row.seq },
        );
        row.claims += 1;
      }
      return rows.map(toStoredEvent);
    });
  }

  async recordFailure(eventId: string, failure: EventFailure, _now: number): Promise<void> {
    if (failure.retryAt !== undefined) requireTime('retryAt', failure.retryAt);
    this.#db.write(() => {
      const { changes } = this.#db.run(
        `UPDATE events SET last_error_json = coalesce(:error, last_error_json),
           claims = CASE WHEN :counted THEN claims ELSE max(claims - 1, 0) END,
           lease_until = CASE WHEN :retryAt IS NOT NULL AND (lease_until IS NULL OR :retryAt < lease_until)
             THEN :retryAt ELSE lease_until END
         WHERE id = :id AND ${UNPROCESSED}`,
        {
          id: eventId,
          error: errorJson(failure.error),
          counted: failure.counted ? 1 : 0,
          retryAt: failure.retryAt ?? null,
        },
      );
      if (changes === 0) throw notUnprocessed(eventId);
    });
  }

  async deadLetter(eventId: string, error: RunError, now: number): Promise<void> {
    this.#db.write(() => {
      const { changes } = this.#db.run(
        `UPDATE events SET dead_at = :now, last_error_json = :error, lease_owner = NULL, lease_until = NULL
         WHERE id = :id AND ${UNPROCESSED}`,
        { id: eventId, now, error: errorJson(error) },
      );
      if (changes === 0) throw notUnprocessed(eventId);
    });
  }

  async listDead(limit = 1000): Promise<StoredEvent[]> {
    requireCount('limit', limit);
    const rows = this.#db.read(() =>
      this.#db.all<EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE dead_at IS NOT NULL ORDER BY seq LIMIT :limit`,
        { limit },
      ),
    );
    return rows.map(toStoredEvent);
  }

  async requeueDead(eventId: string, _now: number): Promise<boolean> {
    return this.#db.write(() => {
      const { changes } = this.#db.run(
        'UPDATE events SET dead_at = NULL, claims = 0 WHERE id = :id AND dead_at IS NOT NULL',
        { id: eventId },
      );
      return changes > 0;
    });
  }

  async dropDead(eventId: string): Promise<boolean> {
    return this.#db.write(() => {
      const { changes } = this.#db.run('DELETE FROM events WHERE id = :id AND dead_at IS NOT NULL', {
        id: eventId,
      });
      return changes > 0;
    });
  }

  async markProcessed(eventId: string, now: number): Promise<void> {
    this.#db.write(() => {
      const { changes } = this.#db.run(
        `UPDATE events SET processed_at = coalesce(processed_at, :now), lease_owner = NULL, lease_until = NULL,
           claims = 0
         WHERE id = :id AND dead_at IS NULL`,
        { id: eventId, now },
      );
      if (
        changes === 0 &&
        !this.#db.get('SELECT 1 AS found FROM event_ids WHERE id = :id', { id: eventId })
      ) {
        throw new AutopilotError('AP_NOT_FOUND', `event ${eventId} was never appended`, { eventId });
      }
    });
  }

  async get(eventId: string): Promise<StoredEvent | undefined> {
    const row = this.#db.read(() =>
      this.#db.get<EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = :id`, { id: eventId }),
    );
    return row && toStoredEvent(row);
  }

  async pendingCount(): Promise<number> {
    const row = this.#db.read(() =>
      this.#db.get<{ n: number }>(`SELECT count(*) AS n FROM events WHERE ${UNPROCESSED}`),
    );
    return row?.n ?? 0;
  }

  async listReceived(query: EventPageQuery): Promise<EventPage> {
    const limit = query.limit ?? 500;
    requireCount('limit', limit);
    const after = Number(query.after ?? 0);
    if (!Number.isSafeInteger(after) || after < 0)
      throw new AutopilotError('AP_STORE_BAD_INPUT', `not an event page cursor: ${query.after}`);
    const rows = this.#db.read(() =>
      this.#db.all<EventRow & { seq: number }>(
        `SELECT seq, ${COLUMNS} FROM events
         WHERE seq > :after AND received_at >= :since AND received_at < :until ORDER BY seq LIMIT :limit`,
        { after, since: query.since, until: query.until, limit },
      ),
    );
    const last = rows.at(-1);
    return {
      events: rows.map(toStoredEvent),
      ...(rows.length === limit && last ? { next: String(last.seq) } : {}),
    };
  }

  async purge(olderThan: number): Promise<number> {
    const dedupeFloor = Math.min(olderThan, this.#clock() - this.#dedupeRetentionMs);
    return this.#db.write(() => {
      const { changes } = this.#db.run(
        'DELETE FROM events WHERE processed_at IS NOT NULL AND received_at < :olderThan',
        { olderThan },
      );
      this.#db.run(
        `DELETE FROM event_ids WHERE received_at < :floor
         AND NOT EXISTS (SELECT 1 FROM events WHERE events.id = event_ids.id)`,
        { floor: dedupeFloor },
      );
      return changes;
    });
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  const stored: StoredEvent = { event: decodeJson(row.body) as Event, receivedAt: row.received_at };
  if (row.processed_at !== null) stored.processedAt = row.processed_at;
  return withFailures(stored, {
    claims: row.claims,
    lastErrorJson: row.last_error_json,
    deadAt: row.dead_at ?? undefined,
  });
}
