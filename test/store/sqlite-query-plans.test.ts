/**
 * Claiming must not get slower as runs park: the claim's two statements find due parked runs by
 * an index on due time (runs_state: state, run_at) and lane heads by their partial index
 * (runs_heads), never by scanning the runs table or sorting in a temp b-tree. Checked on an empty
 * schema and on a queue with thousands of parked runs after ANALYZE (statistics can change plans).
 */
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/migrations.ts';
import { SqliteDb } from '../../src/store/sqlite/database.ts';
import {
  CLAIM_HEADS_SQL,
  SqliteRunQueue,
  WAKE_DUE_PARKED_SQL,
} from '../../src/store/sqlite/sqlite-run-queue.ts';
import { CLAIM_EVENTS_SQL, SqliteEventLog } from '../../src/store/sqlite/sqlite-event-log.ts';
import { buildEvent, buildRun } from './conformance/harness.ts';

const T0 = Date.UTC(2026, 0, 1);
let connection: DatabaseSync | undefined;
afterEach(() => connection?.close());

function planOf(db: DatabaseSync, sql: string): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ now: T0, limit: 100 }) as Array<{
    detail: string;
  }>;
  return rows.map((row) => row.detail);
}

function expectIndexedPlans(db: DatabaseSync): void {
  const wake = planOf(db, WAKE_DUE_PARKED_SQL);
  expect(wake).toEqual(['SEARCH runs USING INDEX runs_state (state=? AND run_at<?)']);
  const heads = planOf(db, CLAIM_HEADS_SQL);
  expect(heads).toHaveLength(1);
  expect(heads[0]).toMatch(/^(SCAN|SEARCH) runs USING INDEX runs_heads\b/);
  for (const line of [...wake, ...heads]) expect(line).not.toMatch(/TEMP B-TREE|^SCAN runs$/);
}

describe('SQLite claim query plans', () => {
  it('use the due-time index and the heads index on a fresh schema', () => {
    connection = new DatabaseSync(':memory:');
    migrate(connection);
    expectIndexedPlans(connection);
  });

  it('still use them with 3,000 parked runs, finished runs and statistics gathered', async () => {
    connection = new DatabaseSync(':memory:');
    migrate(connection);
    const queue = new SqliteRunQueue(new SqliteDb(connection));
    const runs = Array.from({ length: 4000 }, (_, i) => buildRun({ id: `r${i}`, lane: `lane-${i}` }));
    await queue.enqueue(runs, T0);
    const claimed = await queue.claim('bench-owner', 4000, 60_000, T0);
    for (const [i, record] of claimed.entries()) {
      if (i < 3000) {
        await queue.park(record.run.id, 'bench-owner', { until: T0 + 1000 + i, progress: {} }, T0);
      } else if (i < 3900) await queue.complete(record.run.id, 'bench-owner', 'succeeded', T0);
    }
    connection.exec('ANALYZE');
    expectIndexedPlans(connection);
  });
});

describe('SQLite event claim query plan', () => {
  function expectEventClaimPlan(db: DatabaseSync): void {
    const plan = planOf(db, CLAIM_EVENTS_SQL);
    expect(plan[0]).toMatch(/^(SCAN|SEARCH) e USING INDEX events_unprocessed\b/);
    expect(plan).toContain('SEARCH w USING INDEX events_work_item_unprocessed (work_item=? AND seq<?)');
    for (const line of plan) expect(line).not.toMatch(/TEMP B-TREE|^SCAN (e|w|events)$/);
  }

  it("finds a work item's earlier leased events by its index, on a fresh schema", () => {
    connection = new DatabaseSync(':memory:');
    migrate(connection);
    expectEventClaimPlan(connection);
  });

  it('still does with 3,000 events over 30 work items, most processed, statistics gathered', async () => {
    connection = new DatabaseSync(':memory:');
    migrate(connection);
    const log = new SqliteEventLog(new SqliteDb(connection), 72 * 3_600_000, () => T0);
    for (let i = 0; i < 3000; i++) {
      await log.append(
        buildEvent({ id: `e${i}`, workItem: { id: String(6437110000 + (i % 30)), typeKey: 'story' } }),
        T0,
      );
      if (i < 2500) await log.markProcessed(`e${i}`, T0);
    }
    connection.exec('ANALYZE');
    expectEventClaimPlan(connection);
  });
});
