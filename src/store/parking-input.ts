/** What both run queues store for parking and progress, checked and encoded the same way. */
import { requireTime } from './input-checks.ts';
import type { RunWake } from './ports.ts';
import { encodeJson } from './sqlite/json-codec.ts';

export function progressJson(progress: unknown): string {
  return encodeJson(progress ?? null, 'step progress');
}

export function parkingInput(parking: { until: number; progress: unknown }): {
  until: number;
  progress: string;
} {
  requireTime('until', parking?.until);
  return { until: parking.until, progress: progressJson(parking.progress) };
}

/** The wake of a run `resume` woke, as JSON. */
export function resumedWakeJson(resumption: { data?: unknown }, now: number): string {
  const wake: RunWake = { reason: 'resumed', at: now };
  if (resumption?.data !== undefined) wake.data = resumption.data;
  return encodeJson(wake, 'resume data');
}
