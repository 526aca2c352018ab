/**
 * What a conformance suite needs from an adapter, and builders for its test data. Suites use
 * only the ports, so every adapter (SQLite, PostgreSQL/Redis) runs the very same tests.
 */
import type { Event } from '../../../src/events/event.ts';
import type { Run } from '../../../src/plan/run.ts';
import type { Stores } from '../../../src/store/ports.ts';

export interface StoreHarness {
  stores: Stores;
  /** Closes whatever the harness opened and removes its data. */
  cleanup(): Promise<void>;
  /**
   * Opens a second, independent client on the same data (what another engine process sees), for
   * concurrency tests; without it they run two workers on `stores`.
   */
  openAnother?(): Promise<Stores>;
}

export interface HarnessOptions {
  /** The adapter's own clock (for what the ports give no time to, e.g. the dedupe retention floor). */
  now: () => number;
}

export type StoreFactory = (options: HarnessOptions) => Promise<StoreHarness>;

/** How a child process opens the same stores, for the crash and multi-process suites. */
export interface ProcessTarget {
  /** Absolute path of the module that exports the opener. */
  modulePath: string;
  /** Name of the export `(config) => Promise<Stores>` both processes open the stores with. */
  exportName: string;
  /** Fresh backing data and the JSON config that opens it. */
  prepare(): Promise<{ config: unknown; cleanup(): Promise<void> }>;
}

/** Imports a target's opener in this process. */
export async function openTarget(target: ProcessTarget, config: unknown): Promise<Stores> {
  const { pathToFileURL } = await import('node:url');
  const module = (await import(pathToFileURL(target.modulePath).href)) as Record<
    string,
    (config: unknown) => Promise<Stores>
  >;
  return module[target.exportName]!(config);
}

/** A mutable clock for the adapter, set by each test. */
export function testClock(start = Date.UTC(2026, 0, 1)): { now: () => number; set(ms: number): void } {
  let current = start;
  return { now: () => current, set: (ms) => (current = ms) };
}

export function buildEvent(overrides: Partial<Event> & { id: string }): Event {
  return {
    source: 'feishu',
    type: 'work_item.status_changed',
    occurredAt: Date.UTC(2026, 0, 1),
    projectKey: 'proj',
    workItem: { id: '7433128839025672193', typeKey: 'story' },
    payload: { header: { event_type: 'WorkitemStatusEvent' } },
    ...overrides,
  };
}

export function buildRun(overrides: Partial<Run> & { id: string }): Run {
  return {
    eventId: `event-of-${overrides.id}`,
    ruleId: 'rule-a',
    ruleVersion: 'v1',
    mode: 'live',
    lane: 'proj:1',
    priority: 'webhook',
    actions: [
      {
        index: 0,
        type: 'comment',
        params: { text: 'hello' },
        recheck: false,
        idempotencyKey: '6f1c2a3e-0000-5000-8000-000000000000',
      },
    ],
    createdAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

/** Asserts that `promise` rejects with an error carrying `code`, and returns the error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the promise to reject');
}
