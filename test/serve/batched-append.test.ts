/**
 * Group commit at intake: concurrent deliveries share one durable write, each learns whether it
 * was new, a delivery the store refuses fails alone, and a store without appendMany
 * still works one by one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.ts';
import { batchedAppend } from '../../src/ingest/http/batched-append.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import type { EventLog, Stores } from '../../src/store/ports.ts';

const NOW = 1_763_600_000_000;
const event = (id: string): Event => ({
  id,
  source: 'webhook',
  type: 'webhook.deploys',
  occurredAt: NOW,
  payload: { id },
});

let dir: string;
let stores: Stores;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autopilot-batch-'));
  stores = await openSqliteStores({ path: join(dir, 'autopilot.db'), now: () => NOW });
});
afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The event log with its batch writes counted. */
function counting(log: EventLog): { log: EventLog; batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    log: {
      ...bound(log),
      append: (e, now) => log.append(e, now),
      appendMany: (events, now) => {
        batches.push(events.length);
        return log.appendMany?.(events, now) as Promise<Array<{ inserted: boolean }>>;
      },
    },
  };
}

/** Every method of the log, bound to it (a class instance's methods are not own properties). */
function bound(log: EventLog): EventLog {
  const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(log)).filter(
    (name) => name !== 'constructor',
  );
  return Object.fromEntries(
    methods.map((name) => [
      name,
      (...args: unknown[]) => (log as never as Record<string, (...a: unknown[]) => unknown>)[name]!(...args),
    ]),
  ) as never as EventLog;
}

describe('batchedAppend', () => {
  it('stores concurrent deliveries in few writes; the first of each id is new, its repeats are duplicates', async () => {
    const { log, batches } = counting(stores.events);
    const append = batchedAppend(log);
    const ids = Array.from({ length: 100 }, (_, i) => `e${i % 50}`);
    const results = await Promise.all(ids.map((id) => append(event(id), NOW)));
    expect(results.slice(0, 50).every((r) => r.inserted)).toBe(true);
    expect(results.slice(50).every((r) => !r.inserted)).toBe(true);
    expect(batches).toEqual([100]);
    expect(await stores.events.pendingCount()).toBe(50);
    // A later delivery of a stored id is still a duplicate.
    expect(await append(event('e7'), NOW)).toEqual({ inserted: false });
  });

  it('closes a batch at maxBatch', async () => {
    const { log, batches } = counting(stores.events);
    const append = batchedAppend(log, 8);
    await Promise.all(Array.from({ length: 20 }, (_, i) => append(event(`m${i}`), NOW)));
    expect(batches).toEqual([8, 8, 4]);
    expect(await stores.events.pendingCount()).toBe(20);
  });

  it('a delivery the store refuses fails alone; the others of its write are stored one by one', async () => {
    const append = batchedAppend(stores.events);
    const bad = { ...event('bad'), id: '' };
    const answers = await Promise.allSettled([
      append(event('a'), NOW),
      append(bad, NOW),
      append(event('b'), NOW),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await stores.events.get('a')).toBeDefined();
    expect(await append(event('a'), NOW)).toEqual({ inserted: false });
  });

  it('appends one by one on a store without appendMany', async () => {
    const calls: string[] = [];
    const plain: EventLog = {
      ...counting(stores.events).log,
      appendMany: undefined,
      append: (e, now) => {
        calls.push(e.id);
        return stores.events.append(e, now);
      },
    };
    const append = batchedAppend(plain);
    const results = await Promise.all(['x', 'y', 'x'].map((id) => append(event(id), NOW)));
    expect(results.map((r) => r.inserted)).toEqual([true, true, false]);
    expect(calls).toEqual(['x', 'y', 'x']);
  });
});
