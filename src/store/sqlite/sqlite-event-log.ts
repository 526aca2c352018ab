/** EventLog on SQLite: dedupe ids in their own table so they outlive purged event bodies. */
import { AutopilotError } from '../../errors.ts';
import { legacyEventIds } from '../../events/event-ids.ts';
import type { Event } from '../../events/event.ts';
import type { EventLog, StoredEvent } from '../ports.ts';
import type { SqliteDb } from './database.ts';
import { decodeJson, encodeJson } from './json-codec.ts';
import { requireCount, requireId } from '../input-checks.ts';

interface EventRow {
  [column: string]: unknown;
  body: string;
  received_at: number;
  processed_at: number | null;
}

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
      return { id: event.id, body: encodeJson(event, `event ${event.id}`) };
    });
    return this.#db.write(() => encoded.map(({ id, body }) => this.#insert(id, body, now)));
  }

  #insert(id: string, body: string, now: number): { inserted: boolean } {
    for (const legacy of legacyEventIds(id)) {
      if (this.#db.get('SELECT 1 AS found FROM event_ids WHERE id = :id', { id: legacy }))
        return { inserted: false };
    }
    const fresh = this.#db.run('INSERT OR IGNORE INTO event_ids (id, received_at) VALUES (:id, :now)', {
      id,
      now,
    });
    if (fresh.changes === 0) return { inserted: false };
    this.#db.run('INSERT INTO events (id, body, received_at) VALUES (:id, :body, :now)', { id, body, now });
    return { inserted: true };
  }

  async claimUnprocessed(owner: string, limit: number, leaseMs: number, now: number): Promise<StoredEvent[]> {
    requireId('owner', owner);
    requireCount('limit', limit);
    requireCount('leaseMs', leaseMs);
    return this.#db.write(() => {
      const rows = this.#db.all<EventRow & { seq: number }>(
        `SELECT seq, body, received_at, processed_at FROM events
         WHERE processed_at IS NULL AND (lease_until IS NULL OR lease_until <= :now)
         ORDER BY seq LIMIT :limit`,
        { now, limit },
      );
      for (const row of rows) {
        this.#db.run('UPDATE events SET lease_owner = :owner, lease_until = :until WHERE seq = :seq', {
          owner,
          until: now + leaseMs,
          seq: row.seq,
        });
      }
      return rows.map(toStoredEvent);
    });
  }

  async markProcessed(eventId: string, now: number): Promise<void> {
    this.#db.write(() => {
      const { changes } = this.#db.run(
        `UPDATE events SET processed_at = coalesce(processed_at, :now), lease_owner = NULL, lease_until = NULL
         WHERE id = :id`,
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
      this.#db.get<EventRow>('SELECT body, received_at, processed_at FROM events WHERE id = :id', {
        id: eventId,
      }),
    );
    return row && toStoredEvent(row);
  }

  async pendingCount(): Promise<number> {
    const row = this.#db.read(() =>
      this.#db.get<{ n: number }>('SELECT count(*) AS n FROM events WHERE processed_at IS NULL'),
    );
    return row?.n ?? 0;
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
  return stored;
}
