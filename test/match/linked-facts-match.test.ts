/**
 * The facts users asked for, through matchEvent with both evaluators: time in the current state
 * and node (from state_times), and change.field by key or alias.
 */
import { describe, expect, it } from 'vitest';
import type { Change, Event } from '../../src/events/event.ts';
import { withFieldNames } from '../../src/match/change-field.ts';
import { buildEventFacts } from '../../src/match/facts.ts';
import { matchEvent } from '../../src/match/match-event.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { normalizeWorkItem } from '../../src/match/work-item.ts';
import type { ConditionNode } from '../../src/rules/rule.ts';
import { buildEvent, buildRule, rawWorkItem } from '../support/match-builders.ts';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const EVALUATORS = ['direct', 'json-rules-engine'] as const;

const inTesting = rawWorkItem({
  pattern: 'Node',
  work_item_status: { state_key: 'testing', updated_at: NOW - 9 * DAY },
  current_nodes: [
    { id: 'testing', name: 'Testing' },
    { id: 'docs', name: 'Docs' },
  ],
  state_times: [
    { state_key: 'doing', start_time: NOW - 9 * DAY, end_time: NOW - 4 * DAY },
    { state_key: 'testing', start_time: NOW - 4 * DAY, end_time: 0 },
    { state_key: 'docs', start_time: NOW - DAY, end_time: 0 },
  ],
});

const aliasChange: Change = { kind: 'field', field: 'field_abc', from: 'P2', to: 'P0' };
const meta = [{ field_key: 'field_abc', field_alias: 'priority_alias' }];

describe.each(EVALUATORS)('with the %s evaluator', (evaluator) => {
  async function matches(when: ConditionNode, event: Event = buildEvent(), change?: Change) {
    const facts = buildEventFacts(event, NOW, async () => normalizeWorkItem(inTesting), undefined, {
      change,
    });
    const [result] = await matchEvent(
      event,
      buildRuleIndex([buildRule({ on: { event: ['work_item.created', 'work_item.updated'] }, when })]),
      facts,
      { evaluator },
    );
    return result!;
  }

  it('matches on the time in the current state', async () => {
    const older = await matches({
      fact: 'work_item',
      path: 'state_entered_at',
      operator: 'olderThan',
      value: '3d',
    });
    expect(older.matched).toBe(true);
    expect(older.conditions[0]!.actual).toBe(NOW - 4 * DAY);
    const spent = await matches({
      fact: 'work_item',
      path: 'time_in_state',
      operator: 'greaterThan',
      value: 5 * DAY,
    });
    expect(spent).toMatchObject({ matched: false, conditions: [{ actual: 4 * DAY }] });
  });

  it('matches on the time in each node in progress, by node id and on current_nodes', async () => {
    const testing = await matches({
      all: [
        { fact: 'work_item', path: 'node_entered_at.testing', operator: 'olderThan', value: '2d' },
        { fact: 'work_item', path: 'time_in_node.docs', operator: 'lessThan', value: 2 * DAY },
        { fact: 'work_item', path: 'current_nodes.1.time_in_node', operator: 'equal', value: DAY },
      ],
    });
    expect(testing.matched).toBe(true);
    const done = await matches({
      fact: 'work_item',
      path: 'node_entered_at.doing',
      operator: 'olderThan',
      value: '1d',
    });
    expect(done).toMatchObject({ matched: false, conditions: [{ actual: undefined }] });
  });

  const fieldEvent = buildEvent({ type: 'work_item.updated', change: aliasChange });
  const named = withFieldNames(aliasChange, meta);

  it('change.field matches the alias of the changed field as well as its key', async () => {
    for (const value of [['priority_alias'], ['field_abc'], ['other', 'priority_alias']]) {
      const result = await matches(
        { fact: 'change', path: 'field', operator: 'in', value },
        fieldEvent,
        named,
      );
      expect(result.matched, JSON.stringify(value)).toBe(true);
    }
    const byAlias = await matches(
      { fact: 'change', path: 'field', operator: 'equal', value: 'priority_alias' },
      fieldEvent,
      named,
    );
    expect(byAlias.conditions[0]).toMatchObject({ actual: 'priority_alias', outcome: true });
  });

  it('negated operators stay right: notIn / notEqual the alias is false', async () => {
    const notIn = await matches(
      { fact: 'change', path: 'field', operator: 'notIn', value: ['priority_alias'] },
      fieldEvent,
      named,
    );
    expect(notIn.matched).toBe(false);
    const notEqual = await matches(
      { fact: 'change', path: 'field', operator: 'notEqual', value: 'severity' },
      fieldEvent,
      named,
    );
    expect(notEqual.matched).toBe(true);
    const other = await matches(
      { fact: 'change', path: 'field', operator: 'in', value: ['severity'] },
      fieldEvent,
      named,
    );
    expect(other.matched).toBe(false);
  });

  it('changedTo with field names the field by alias too', async () => {
    const result = await matches(
      { fact: 'change', operator: 'changedTo', value: { field: 'priority_alias', value: 'P0' } },
      fieldEvent,
      named,
    );
    expect(result.matched).toBe(true);
  });

  it('without the field definitions, the alias does not match the key', async () => {
    const result = await matches(
      { fact: 'change', path: 'field', operator: 'in', value: ['priority_alias'] },
      fieldEvent,
    );
    expect(result.matched).toBe(false);
  });
});

describe('withFieldNames', () => {
  it('adds the alias, or the key when the delivery named the alias, and names every listed field', () => {
    expect(withFieldNames(aliasChange, meta)).toMatchObject({
      field: 'field_abc',
      field_alias: 'priority_alias',
    });
    expect(withFieldNames({ kind: 'field', field: 'priority_alias' }, meta)).toMatchObject({
      field_key: 'field_abc',
      field_alias: 'priority_alias',
    });
    const many = withFieldNames({ ...aliasChange, fields: [aliasChange, { field: 'field_x' }] }, meta);
    expect(many.fields).toEqual([{ ...aliasChange, field_alias: 'priority_alias' }, { field: 'field_x' }]);
  });
});

describe('time in state from state_times', () => {
  it('falls back to when the status last changed', () => {
    const item = normalizeWorkItem(
      rawWorkItem({ work_item_status: { state_key: 'open', updated_at: NOW + 5 } }),
    );
    expect(item.state_entered_at).toBe(NOW + 5);
  });

  it('keeps prototype node ids out of the map', () => {
    const item = normalizeWorkItem(
      rawWorkItem({
        current_nodes: [{ id: '__proto__', name: 'x' }],
        state_times: [{ state_key: '__proto__', start_time: 1, end_time: 0 }],
      }),
    );
    expect(item.node_entered_at).toBeUndefined();
  });
});
