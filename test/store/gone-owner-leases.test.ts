/**
 * A restarted embedded engine takes back what a killed process had leased: its runs and events
 * are claimable at once, not after the lease time; live owners' leases and claim counts are kept.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores, type SqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { buildEvent, buildRun } from './conformance/harness.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE_MS = 60_000;
const KILLED = 'executor-4000001-0badf00d';
const KILLED_PROCESSOR = 'processor-4000001-0badf00d';
const LIVE = 'executor-4000002-c0ffee00';
const gone = (owner: string) => owner.includes('-4000001-');

describe('takeBackGoneLeases (SQLite)', () => {
  let stores: SqliteStores;
  beforeEach(async () => {
    stores = await openSqliteStores({ path: ':memory:', now: () => T0 });
  });
  afterEach(() => stores.close());

  it('makes the runs a gone process was running claimable now, at the same action', async () => {
    await stores.runs.enqueue([buildRun({ id: 'a', lane: 'l1' }), buildRun({ id: 'b', lane: 'l2' })], T0);
    const [first] = await stores.runs.claim(KILLED, 1, LEASE_MS, T0);
    const [second] = await stores.runs.claim(LIVE, 1, LEASE_MS, T0);
    expect(await stores.runs.claim('executor-4000003-00000000', 10, LEASE_MS, T0 + 1)).toEqual([]);

    const taken = stores.takeBackGoneLeases(gone, T0 + 1);

    expect(taken).toMatchObject({ runs: 1, events: 0, owners: [KILLED] });
    const again = await stores.runs.claim('executor-4000003-00000000', 10, LEASE_MS, T0 + 2);
    expect(again.map((r) => r.run.id)).toEqual([first?.run.id]);
    expect(again[0]?.nextAction).toBe(first?.nextAction);
    expect((await stores.runs.get(second?.run.id as string))?.state).toBe('running');
  });

  it('makes the events a gone process was processing claimable now, keeping their claim counts', async () => {
    await stores.events.append(buildEvent({ id: 'e1' }), T0);
    await stores.events.append(buildEvent({ id: 'e2', workItem: { id: '2', typeKey: 'story' } }), T0);
    await stores.events.claimUnprocessed(KILLED_PROCESSOR, 1, LEASE_MS, T0);
    await stores.events.claimUnprocessed('processor-4000002-c0ffee00', 1, LEASE_MS, T0);

    const taken = stores.takeBackGoneLeases(gone, T0 + 1);

    expect(taken).toMatchObject({ runs: 0, events: 1, owners: [KILLED_PROCESSOR] });
    const again = await stores.events.claimUnprocessed('processor-4000003-00000000', 10, LEASE_MS, T0 + 2);
    expect(again.map((e) => [e.event.id, e.claims])).toEqual([['e1', 2]]);
  });

  it('leaves everything alone when no holder is gone', async () => {
    await stores.runs.enqueue([buildRun({ id: 'a' })], T0);
    await stores.runs.claim(LIVE, 1, LEASE_MS, T0);
    expect(stores.takeBackGoneLeases(gone, T0 + 1)).toEqual({ runs: 0, events: 0, owners: [] });
    expect((await stores.runs.get('a'))?.state).toBe('running');
  });
});
