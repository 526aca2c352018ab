/**
 * What a `card_action` rule's run owes the card that was clicked: it runs once per card and
 * button (a second click, by anyone, finds the run already there), and it ends by updating the
 * card in place, unless the rule does that itself with `update_card`, so the card shows what was
 * done and its buttons are gone. Pure.
 */
import { buildCalls } from '../actions/catalogue.ts';
import { decisionTime } from '../approvals/approval-record.ts';
import type { Event } from '../events/event.ts';
import type { ActionSpec, Rule } from '../rules/rule.ts';
import { personFormatter } from '../templates/person-markers.ts';
import { idempotencyKey } from './idempotency.ts';
import type { PlannedAction } from './run.ts';

/**
 * What a run's id is derived from: the event, or for a click the card, the button's action and
 * value, so that however many clicks a button gets, its rule runs once for that card.
 */
export function runSubject(event: Event): string {
  const card = event.type === 'card.action' ? event.card : undefined;
  if (!card) return event.id;
  return `card-click\n${card.message}\n${card.action}\n${canonical(card.value)}`;
}

/** The closing `update_card` of a card_action rule's run, or undefined when none is owed. */
export function cardUpdateStep(
  event: Event,
  rule: Rule,
  index: number,
  now: number,
): PlannedAction | undefined {
  const card = event.type === 'card.action' ? event.card : undefined;
  if (!card || !('card_action' in rule.on) || updatesCard(rule.do)) return undefined;
  const who = card.operator.user_key
    ? String(personFormatter('name')(card.operator.user_key))
    : (card.operator.user_id ?? 'someone');
  const params = {
    title: 'Done',
    text: `**${card.action}**: done by ${who} at ${decisionTime(now, 'UTC')}`,
  };
  const built = buildCalls({ type: 'update_card', params }, { event });
  return {
    index,
    type: 'update_card',
    render: 'plan',
    params,
    recheck: false,
    idempotencyKey: idempotencyKey(event.id, rule.id, rule.version, index),
    ...('calls' in built ? { calls: built.calls } : {}),
  };
}

function updatesCard(steps: readonly ActionSpec[]): boolean {
  return steps.some(
    (s) =>
      s.type === 'update_card' ||
      updatesCard(s.do ?? []) ||
      updatesCard(s.else ?? []) ||
      (s.choices ?? []).some((c) => updatesCard(c.do)),
  );
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
