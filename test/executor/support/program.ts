/** Runs planned from rule YAML, as the engine plans them, for the program's executor tests. */
import type { Event } from '../../../src/events/event.ts';
import { planRun } from '../../../src/plan/plan-run.ts';
import type { Run } from '../../../src/plan/run.ts';
import { parseRuleText } from '../../../src/rules/load-rules.ts';
import type { Rule } from '../../../src/rules/rule.ts';
import { formatDiagnostic } from '../../../src/rules/diagnostic.ts';

export const T0 = Date.UTC(2026, 0, 5, 9);

/** A rule from YAML text (the file is `rules/<id>.yaml`); throws with the diagnostics if invalid. */
export function ruleFrom(yaml: string): Rule {
  const id = /^id: (\S+)/m.exec(yaml)?.[1] ?? 'program-rule';
  const { rule, diagnostics } = parseRuleText(`rules/${id}.yaml`, yaml);
  if (!rule) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  return rule;
}

export function workItemEvent(over: Partial<Event> = {}): Event {
  return {
    id: 'evt-program-1',
    source: 'feishu',
    type: 'work_item.created',
    occurredAt: T0,
    projectKey: 'space',
    workItem: { id: '1001', typeKey: 'story' },
    payload: { due: T0 + 7_200_000 },
    ...over,
  };
}

export function planned(rule: Rule, event: Event = workItemEvent(), now = T0): Run {
  return planRun(event, rule, { now });
}

/** A clock the test moves; the executor and the stores read it. */
export function manualClock(start = T0): {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
} {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => (current += ms),
    set: (ms) => (current = ms),
  };
}
