/**
 * Two replays of one history compared run by run, keyed by (rule, event): runs only the new
 * rules make (added), runs only the baseline makes (removed), and runs both make with other
 * actions or params (changed, with each difference by path).
 */
import type { ReplayedRun } from './replay.ts';

export interface Difference {
  /** e.g. `actions.0.params.text`, `actions.1` (an action added or removed). */
  path: string;
  baseline: unknown;
  rules: unknown;
}

export interface ChangedRun {
  ruleId: string;
  eventId: string;
  eventType: string;
  occurredAt: number;
  workItem: string;
  differences: Difference[];
  /** The new run's writes minus the baseline's. */
  extraWrites: number;
}

export interface RunDiff {
  added: ReplayedRun[];
  removed: ReplayedRun[];
  changed: ChangedRun[];
  /** Writes the new rules would make that the baseline does not: added runs', and changed runs' extra. */
  newWrites: number;
}

const keyOf = (run: ReplayedRun) => `${run.ruleId}\u0000${run.eventId}`;

export function compareRuns(baseline: readonly ReplayedRun[], rules: readonly ReplayedRun[]): RunDiff {
  const before = new Map(baseline.map((r) => [keyOf(r), r]));
  const after = new Map(rules.map((r) => [keyOf(r), r]));
  const diff: RunDiff = { added: [], removed: [], changed: [], newWrites: 0 };
  for (const run of rules) {
    const old = before.get(keyOf(run));
    if (!old) {
      diff.added.push(run);
      continue;
    }
    const differences = differencesOf('actions', simplify(old), simplify(run));
    if (run.mode !== old.mode) differences.unshift({ path: 'mode', baseline: old.mode, rules: run.mode });
    if (differences.length === 0) continue;
    const { ruleId, eventId, eventType, occurredAt, workItem } = run;
    diff.changed.push({
      ruleId,
      eventId,
      eventType,
      occurredAt,
      workItem,
      differences,
      extraWrites: run.writes - old.writes,
    });
  }
  for (const run of baseline) if (!after.has(keyOf(run))) diff.removed.push(run);
  diff.newWrites =
    diff.added.reduce((n, r) => n + r.writes, 0) +
    diff.changed.reduce((n, c) => n + Math.max(0, c.extraWrites), 0);
  return diff;
}

/** What a run does: its actions and their params (indexes and write counts follow from them). */
function simplify(run: ReplayedRun): unknown[] {
  return run.actions.map((a) => ({ type: a.type, params: a.params }));
}

function differencesOf(path: string, baseline: unknown, rules: unknown): Difference[] {
  if (Object.is(baseline, rules)) return [];
  const bothObjects =
    typeof baseline === 'object' && baseline !== null && typeof rules === 'object' && rules !== null;
  if (!bothObjects || Array.isArray(baseline) !== Array.isArray(rules)) return [{ path, baseline, rules }];
  const a = baseline as Record<string, unknown>;
  const b = rules as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(byKey);
  return keys.flatMap((key) => differencesOf(`${path}.${key}`, a[key], b[key]));
}

/** Array indexes in number order, other keys alphabetically: the same order every time. */
function byKey(x: string, y: string): number {
  const [nx, ny] = [Number(x), Number(y)];
  if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
  return x < y ? -1 : x > y ? 1 : 0;
}
