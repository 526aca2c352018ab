/**
 * Poison events in the event processor, on the SQLite event log with an injected clock: an event
 * whose processing fails by its own fault, or stops the process, is dead-lettered after
 * `maxClaims` claims with its last error and leaves its work item's line; an outage of the API or
 * a store is never held against an event, however long it lasts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventProcessor, type EventProcessor } from '../../src/engine/event-processor.ts';
import { AutopilotError } from '../../src/errors.ts';
import type { RunError, Stores, StoredEvent } from '../../src/store/ports.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { buildEvent } from '../store/conformance/harness.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 1000;
const MAX_CLAIMS = 3;

let stores: Stores;
let processor: EventProcessor | undefined;
let clock: number;
const now = () => clock;

beforeEach(async () => {
  clock = T0;
  stores = await openSqliteStores({ path: ':memory:', now });
});
afterEach(async () => {
  await processor?.stop();
  processor = undefined;
  await stores.close();
});

/** Starts a processor whose processing of each event is `process`; records what it sees. */
function start(process: (stored: StoredEvent) => Promise<void>, retryDelayMs?: number) {
  const seen: string[] = [];
  const dead: Array<{ id: string; claims: number | undefined; error: RunError }> = [];
  processor = createEventProcessor({
    events: stores.events,
    now,
    leaseMs: LEASE,
    maxClaims: MAX_CLAIMS,
    ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
    pollMs: 5,
    process: async (stored) => {
      seen.push(stored.event.id);
      await process(stored);
      await stores.events.markProcessed(stored.event.id, now());
      return [];
    },
    onDeadLettered: (stored, error) => void dead.push({ id: stored.event.id, claims: stored.claims, error }),
  });
  processor.start();
  return { seen, dead };
}

/** Lets every lease run out and waits until the processor has looked again. */
async function nextRound(seen: string[]) {
  const before = seen.length;
  clock += LEASE;
  processor!.notify();
  await expect.poll(() => seen.length > before || null).toBeTruthy();
}

describe('poison events', () => {
  it('dead-letters an event that fails by its own fault after maxClaims claims, and its work item goes on', async () => {
    await stores.events.append(buildEvent({ id: 'poison' }), T0);
    await stores.events.append(buildEvent({ id: 'after' }), T0); // same work item, behind it
    const { seen, dead } = start(async (stored) => {
      if (stored.event.id === 'poison')
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
    });
    await expect.poll(() => seen.length).toBe(1);
    for (let round = 2; round <= MAX_CLAIMS; round++) await nextRound(seen);
    await expect.poll(() => dead.length).toBe(1);
    expect(dead[0]).toMatchObject({ id: 'poison', claims: MAX_CLAIMS, error: { code: 'AP_POISON' } });
    expect(dead[0]!.error.message).toBe(
      `claimed ${MAX_CLAIMS} times without finishing; last error: AP_INTERNAL: TypeError: Cannot read properties of undefined (reading 'x')`,
    );
    // the event behind it waited each time without being charged, and now goes through
    await expect.poll(async () => (await stores.events.get('after'))?.processedAt).toBeDefined();
    expect(seen).toEqual([...Array(MAX_CLAIMS).fill('poison'), 'after']);
    expect((await stores.events.listDead()).map((s) => [s.event.id, s.lastError?.code])).toEqual([
      ['poison', 'AP_POISON'],
    ]);
    expect(await stores.events.pendingCount()).toBe(0);
  });

  it('dead-letters at once, without processing it, an event whose earlier claims all stopped the process', async () => {
    await stores.events.append(buildEvent({ id: 'crasher' }), T0);
    for (let i = 0; i < MAX_CLAIMS; i++) {
      await stores.events.claimUnprocessed('a-process-that-died', 10, LEASE, clock);
      clock += LEASE;
    }
    const { seen, dead } = start(async () => {});
    await expect.poll(() => dead.length).toBe(1);
    expect(seen).toEqual([]);
    expect(dead[0]!.error).toEqual({
      code: 'AP_POISON',
      message: `claimed ${MAX_CLAIMS} times without finishing: its processing stopped the process every time`,
    });
  });

  it('never holds an outage of the API or a store against an event, however long it lasts', async () => {
    await stores.events.append(buildEvent({ id: 'patient' }), T0);
    let failures = 0;
    const outage = [
      new AutopilotError('AP_API_TRANSIENT', 'read workItem.query failed: 502'),
      new AutopilotError('AP_API_RATE_LIMITED', 'read workItem.query failed: 10429'),
      new AutopilotError('AP_STORE', 'database is locked'),
      new AutopilotError('AP_API_AUTH', 'read workItem.query failed: 10022'),
    ];
    const { seen, dead } = start(async () => {
      if (failures < 2 * MAX_CLAIMS) throw outage[failures++ % outage.length];
    });
    await expect.poll(() => seen.length).toBe(1);
    for (let round = 2; round <= 2 * MAX_CLAIMS + 1; round++) await nextRound(seen);
    await expect.poll(async () => (await stores.events.get('patient'))?.processedAt).toBeDefined();
    expect(dead).toEqual([]);
  });
});

describe('retries', () => {
  it('tries a failed event again after a backoff doubling up to the lease, not a whole lease, its work item waiting with it', async () => {
    const RETRY = 100;
    await stores.events.append(buildEvent({ id: 'blip' }), T0);
    await stores.events.append(buildEvent({ id: 'behind' }), T0); // same work item
    const delays = [RETRY, 2 * RETRY, 4 * RETRY, 8 * RETRY, LEASE];
    let failures = 0;
    const { seen, dead } = start(async (stored) => {
      if (stored.event.id === 'blip' && failures < delays.length) {
        failures++;
        throw new AutopilotError('AP_API_TRANSIENT', 'read workItem.query failed: 50006');
      }
    }, RETRY);
    for (const [round, delay] of delays.entries()) {
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(round + 1);
      // The event behind it gets its claim back last: then both failures are recorded.
      await expect
        .poll(async () => (await stores.events.get('behind'))?.claims ?? 0, { timeout: 10_000 })
        .toBe(0);
      expect(processor!.retrying()).toBe(1); // the failures in a row of 'blip'
      const failedAt = clock;
      expect(await stores.events.claimUnprocessed('probe', 10, LEASE, failedAt + delay - 1)).toEqual([]);
      clock = failedAt + delay;
      processor!.notify();
    }
    await expect
      .poll(async () => (await stores.events.get('behind'))?.processedAt, { timeout: 10_000 })
      .toBeDefined();
    expect(seen).toEqual([...Array(delays.length + 1).fill('blip'), 'behind']);
    expect(dead).toEqual([]);
    expect(processor!.retrying()).toBe(0); // forgotten at its verdict
  });
});
