import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildRuleIndex, candidateRules } from '../../src/match/rule-index.ts';
import { buildEvent, buildRule } from '../support/match-builders.ts';

const ids = (rules: { rule: { id: string } }[]) => rules.map((r) => r.rule.id);

describe('rule index', () => {
  const rules = [
    buildRule({ id: 'created-any', on: { event: 'work_item.created' } }),
    buildRule({
      id: 'created-space1-story',
      on: { event: 'work_item.created', project: ['space1'], work_item_type: ['story'] },
    }),
    buildRule({ id: 'created-space2', on: { event: 'work_item.created', project: ['space2'] } }),
    buildRule({
      id: 'issue-only',
      on: { event: ['work_item.created', 'node.reached'], work_item_type: ['issue'] },
    }),
    buildRule({ id: 'all-events', on: { event: '*' } }),
    buildRule({ id: 'listed-twice', on: { event: ['work_item.created', '*'] } }),
    buildRule({
      id: 'poller',
      on: {
        poll: { every: '5m', search: { project: 'space1', work_item_type: 'story' } },
        project: ['space1'],
      },
    }),
    buildRule({ id: 'sweep', on: { schedule: { cron: '0 9 * * 1-5' } } }),
    buildRule({ id: 'move', on: { command: 'Move {id} to {state}' } }),
    buildRule({ id: 'off', enabled: false, on: { event: 'work_item.created' } }),
  ];
  const index = buildRuleIndex(rules);

  it('matches a project pre-filter by space id or by simple name', () => {
    const byName = buildRuleIndex([
      buildRule({ id: 'by-name', on: { event: 'work_item.created', project: ['demo'] } }),
      buildRule({ id: 'by-both', on: { event: 'work_item.created', project: ['66a1', 'demo'] } }),
    ]);
    const event = buildEvent({ projectKey: '66a1', projectName: 'demo' });
    expect(ids(candidateRules(byName, event))).toEqual(['by-name', 'by-both']);
    expect(ids(candidateRules(byName, buildEvent({ projectKey: '66a1' })))).toEqual(['by-both']);
    expect(
      ids(candidateRules(byName, buildEvent({ projectKey: 'other', projectName: 'elsewhere' }))),
    ).toEqual([]);
  });

  it('finds event rules by type, project and work item type, in rule order, each once', () => {
    expect(ids(candidateRules(index, buildEvent()))).toEqual([
      'created-any',
      'created-space1-story',
      'all-events',
      'listed-twice',
    ]);
    expect(
      ids(
        candidateRules(index, buildEvent({ projectKey: 'space2', workItem: { id: '1', typeKey: 'issue' } })),
      ),
    ).toEqual(['created-any', 'created-space2', 'issue-only', 'all-events', 'listed-twice']);
    expect(ids(candidateRules(index, buildEvent({ type: 'node.completed' })))).toEqual([
      'all-events',
      'listed-twice',
    ]);
  });

  it('finds a poll or schedule rule by the rule id its event carries, beside the event rules', () => {
    const polled = buildEvent({ source: 'poll', type: 'node.completed', payload: { rule_id: 'poller' } });
    expect(ids(candidateRules(index, polled))).toEqual(['all-events', 'listed-twice', 'poller']);
    const wrongSpace = { ...polled, projectKey: 'elsewhere' };
    expect(ids(candidateRules(index, wrongSpace))).not.toContain('poller');
    const tick = buildEvent({ source: 'schedule', type: 'schedule.fired', payload: { rule_id: 'sweep' } });
    expect(ids(candidateRules(index, tick))).toEqual(['all-events', 'listed-twice', 'sweep']);
    const forged = buildEvent({ source: 'feishu', payload: { rule_id: 'sweep' } });
    expect(ids(candidateRules(index, forged))).not.toContain('sweep');
  });

  it('finds a manual rule by the rule id its manual event names, and that one only', () => {
    const manual = buildRuleIndex([
      buildRule({ id: 'by-hand', on: { manual: true } }),
      buildRule({ id: 'by-hand-too', on: { manual: true } }),
      buildRule({ id: 'created-or-by-hand', on: { event: 'work_item.created', manual: true } }),
      buildRule({ id: 'stories-by-hand', on: { manual: true, work_item_type: ['story'] } }),
      buildRule({ id: 'created', on: { event: 'work_item.created' } }),
      buildRule({ id: 'off-by-hand', enabled: false, on: { manual: true } }),
    ]);
    const run = (ruleId: string, overrides = {}) =>
      ids(
        candidateRules(
          manual,
          buildEvent({ source: 'manual', type: 'manual.run', payload: { rule_id: ruleId }, ...overrides }),
        ),
      );
    expect(run('by-hand')).toEqual(['by-hand']);
    expect(run('created-or-by-hand')).toEqual(['created-or-by-hand']);
    expect(run('stories-by-hand')).toEqual(['stories-by-hand']);
    expect(run('stories-by-hand', { workItem: { id: '1', typeKey: 'issue' } })).toEqual([]);
    // Neither a rule without manual: true, nor a disabled one, nor an unknown id.
    expect(run('created')).toEqual([]);
    expect(run('off-by-hand')).toEqual([]);
    expect(run('nope')).toEqual([]);
    // The event side of a rule with both still fires on its events, and other sources never reach byManual.
    expect(ids(candidateRules(manual, buildEvent()))).toEqual(['created-or-by-hand', 'created']);
    const forged = buildEvent({ source: 'feishu', type: 'manual.run', payload: { rule_id: 'by-hand' } });
    expect(ids(candidateRules(manual, forged))).toEqual([]);
  });

  it('finds command rules by command name', () => {
    const command = { name: 'move', args: {}, chatId: 'c', messageId: 'm', sender: 's' };
    const event = buildEvent({
      source: 'chat',
      type: 'chat.command',
      command,
      projectKey: undefined,
      workItem: undefined,
    });
    expect(ids(candidateRules(index, event))).toEqual(['all-events', 'listed-twice', 'move']);
  });

  it('counts enabled rules only', () => {
    expect(index.size).toBe(9);
  });
});

describe('rule index against a plain scan', () => {
  it('finds exactly the event rules whose trigger accepts the event, in rule order', () => {
    const types = ['work_item.created', 'node.reached', 'work_item.updated'];
    const projects = ['s1', 's2', 's3'];
    const itemTypes = ['story', 'issue'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            event: fc.oneof(fc.constantFrom(...types), fc.subarray(types, { minLength: 1 })),
            project: fc.option(fc.subarray(projects), { nil: undefined }),
            work_item_type: fc.option(fc.subarray(itemTypes), { nil: undefined }),
            enabled: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        fc.constantFrom(...types),
        fc.option(fc.constantFrom(...projects), { nil: undefined }),
        fc.option(fc.constantFrom(...itemTypes), { nil: undefined }),
        (triggers, type, project, itemType) => {
          const rules = triggers.map(({ enabled, ...on }, i) => buildRule({ id: `r${i}`, enabled, on }));
          const event = buildEvent({
            type,
            projectKey: project,
            workItem: itemType === undefined ? undefined : { id: '1', typeKey: itemType },
          });
          const accepts = (list: string[] | undefined, value: string | undefined) =>
            list === undefined || list.length === 0 || (value !== undefined && list.includes(value));
          const expected = rules
            .filter((rule, i) => {
              const on = triggers[i] as (typeof triggers)[number];
              const events = Array.isArray(on.event) ? on.event : [on.event];
              return (
                rule.enabled &&
                events.includes(type) &&
                accepts(on.project, project) &&
                accepts(on.work_item_type, itemType)
              );
            })
            .map((r) => r.id);
          expect(ids(candidateRules(buildRuleIndex(rules), event))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
