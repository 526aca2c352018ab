/** One row of the reliability table, and the shared checks that fill it. */
import type { World } from './world.ts';

export interface Row {
  test: string;
  load: string;
  faults: string;
  badInputs: string;
  lost: number;
  appliedTwice: number;
  /** Everything else the scenario measured, for the report. */
  notes: string[];
  /** Broken expectations; empty means the scenario passed. */
  failures: string[];
}

export function newRow(test: string, load: string, faults: string, badInputs = '—'): Row {
  return { test, load, faults, badInputs, lost: 0, appliedTwice: 0, notes: [], failures: [] };
}

export function expectThat(row: Row, ok: boolean, failure: string): void {
  if (!ok) row.failures.push(failure);
}

export interface RunRecordView {
  run: { id: string; eventId: string; ruleId: string; lane: string };
  state: string;
  nextAction: number;
  lastError?: { code: string; message: string };
}

/** Runs of one rule, in queue order, through the admin API (pages of 1,000 are enough here). */
export async function runsOf(world: World, ruleId: string, state?: string): Promise<RunRecordView[]> {
  const query = `/api/runs?rule=${encodeURIComponent(ruleId)}&limit=1000${state ? `&state=${state}` : ''}`;
  const answer = await world.admin(query);
  if (!answer.ok) throw new Error(`GET ${query}: ${answer.status}`);
  return (await answer.json()) as RunRecordView[];
}

/** Waits until `done()` holds, polling; returns false on timeout. */
export async function waitUntil(done: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Random integer in [min, max]. */
export function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}
