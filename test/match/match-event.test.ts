import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.ts';
import { buildEventFacts } from '../../src/match/facts.ts';
import { matchEvent, type MatchOptions } from '../../src/match/match-event.ts';
import { buildRuleIndex } from '../../src/match/rule-index.ts';
import { normalizeWorkItem } from '../../src/match/work-item.ts';
import type { Rule } from '../../src/rules/rule.ts';
import { buildEvent, buildRule, rawWorkItem } from '../support/match-builders.ts';

const NOW = 1_700_000_000_000;

const EVALUATORS = ['direct', 'json-rules-engine'] as const;

describe.each(EVALUATORS)('matchEvent with the %s evaluator', (evaluator) => {
  async function match(
    rules: Rule[],
    event: Event,
    loader?: () => Promise<unknown>,
    options: MatchOptions = {},
  ) {
    const provider = loader === undefined ? undefined : async () => normalizeWorkItem(await loader());
    return matchEvent(event, buildRuleIndex(rules), buildEventFacts(event, NOW, provider), {
      evaluator,
      ...options,
    });
  }

  describe('matchEvent traces', () => {
    it('reports every condition with the value seen and the outcome', async () => {
      const rule = buildRule({
        id: 'p0',
        when: {
          all: [
            { fact: 'work_item', path: 'fields.priority', operator: 'equal', value: '0' },
            { fact: 'event', path: 'operator', operator: 'notEqual', value: 'bot' },
            { not: { fact: 'work_item', path: 'roles.PM', operator: 'isEmpty', value: true } },
          ],
        },
      });
      const [result] = await match([rule], buildEvent(), async () => rawWorkItem());
      expect(result).toEqual({
        ruleId: 'p0',
        matched: true,
        conditions: [
          {
            fact: 'work_item',
            path: 'fields.priority',
            operator: 'equal',
            expected: '0',
            actual: '0',
            outcome: true,
          },
          {
            fact: 'event',
            path: 'operator',
            operator: 'notEqual',
            expected: 'bot',
            actual: 'user_a',
            outcome: true,
          },
          {
            fact: 'work_item',
            path: 'roles.PM',
            operator: 'isEmpty',
            expected: true,
            actual: ['user_pm'],
            outcome: false,
            negated: true,
          },
        ],
      });
    });

    it('says which condition failed', async () => {
      const rule = buildRule({
        when: { fact: 'work_item', path: 'fields.severity', operator: 'in', value: ['low'] },
      });
      const [result] = await match([rule], buildEvent(), async () => rawWorkItem());
      expect(result?.matched).toBe(false);
      expect(result?.conditions[0]).toMatchObject({ actual: 'high', outcome: false });
    });

    it('matches a rule without conditions', async () => {
      const [result] = await match([buildRule()], buildEvent());
      expect(result).toEqual({ ruleId: 'test-rule', matched: true, conditions: [] });
    });

    it('resolves a fact reference in a value', async () => {
      const rule = buildRule({
        when: {
          fact: 'work_item',
          path: 'created_by',
          operator: 'equal',
          value: { fact: 'event', path: 'operator' },
        },
      });
      const [result] = await match([rule], buildEvent(), async () => rawWorkItem());
      expect(result?.conditions[0]).toMatchObject({ expected: 'user_a', actual: 'user_a', outcome: true });
    });

    it('turns a bad condition value into a rule error with the trace kept', async () => {
      const sync = buildRule({
        id: 'sync',
        when: { fact: 'event', path: 'type', operator: 'matches', value: '(' },
      });
      const viaEngine = buildRule({
        id: 'async',
        when: { all: [{ fact: 'work_item', path: 'name', operator: 'olderThan', value: 'soon' }] },
      });
      const results = await match([sync, viaEngine], buildEvent(), async () => rawWorkItem());
      for (const result of results) {
        expect(result.matched).toBe(false);
        expect(result.error?.code).toBe('AP_RULE_INVALID');
        expect(result.conditions).toHaveLength(1);
      }
    });
  });

  describe('work_item loading', () => {
    it('loads the work item once per event however many rules need it, and not at all when none do', async () => {
      let loads = 0;
      const loader = async () => (loads++, rawWorkItem());
      const rules = ['a', 'b', 'c'].map((id) =>
        buildRule({ id, when: { fact: 'work_item', path: 'state', operator: 'equal', value: 'open' } }),
      );
      const results = await match(rules, buildEvent(), loader);
      expect(results.map((r) => r.matched)).toEqual([true, true, true]);
      expect(loads).toBe(1);

      loads = 0;
      await match(
        [buildRule({ when: { fact: 'event', path: 'type', operator: 'equal', value: 'x' } })],
        buildEvent(),
        loader,
      );
      expect(loads).toBe(0);
    });

    it('says "needs live data" offline when the payload does not carry the field', async () => {
      const rule = buildRule({
        when: { fact: 'work_item', path: 'fields.priority', operator: 'equal', value: '0' },
      });
      const [result] = await match([rule], buildEvent());
      expect(result?.matched).toBe(false);
      expect(result?.error?.code).toBe('AP_CONDITION_NEEDS_LIVE_DATA');
      expect(result?.conditions[0]?.outcome).toBe('needs_live_data');
    });

    it('uses what the webhook payload carries offline', async () => {
      const payload = {
        header: { event_type: 'WorkitemCreateEvent', uuid: 'u1' },
        payload: {
          id: 6437110001,
          name: 'Crash on save',
          project_key: 'space1',
          work_item_type_key: 'story',
          fields: [{ key: 'priority', value: { value: '0', label: 'P0' } }],
        },
      };
      const rule = buildRule({
        when: {
          all: [
            { fact: 'work_item', path: 'name', operator: 'startsWith', value: 'Crash' },
            { fact: 'work_item', path: 'fields.priority', operator: 'equal', value: '0' },
          ],
        },
      });
      const [result] = await match([rule], buildEvent({ payload }));
      expect(result?.matched).toBe(true);
    });

    it('does not need live data when the answer does not depend on it', async () => {
      const rule = buildRule({
        when: {
          any: [
            { fact: 'event', path: 'type', operator: 'equal', value: 'work_item.created' },
            { fact: 'work_item', path: 'fields.priority', operator: 'equal', value: '0' },
          ],
        },
      });
      const [result] = await match([rule], buildEvent());
      expect(result?.matched).toBe(true);
      expect(result?.error).toBeUndefined();
      expect(result?.conditions[1]?.outcome).toBe('needs_live_data');
    });
  });

  describe('loop guards', () => {
    const rule = (over: Partial<Rule> = {}) => buildRule({ id: 'guarded', ...over });

    it('skips events the engine caused itself unless the rule allows it', async () => {
      const event = buildEvent({ operator: 'engine_bot' });
      const [skipped] = await match([rule()], event, undefined, { engineUserKey: 'engine_bot' });
      expect(skipped).toMatchObject({ matched: false, skipped: { reason: 'self_event' } });
      const [allowed] = await match([rule({ allow_self: true })], event, undefined, {
        engineUserKey: 'engine_bot',
      });
      expect(allowed?.matched).toBe(true);
    });

    it('skips events past the causation depth cap', async () => {
      const deep = buildEvent({ causation: { rootEventId: 'root', depth: 11 } });
      const [capped] = await match([rule()], deep);
      expect(capped?.skipped?.reason).toBe('depth_cap');
      const [ownCap] = await match(
        [rule({ max_depth: 2 })],
        buildEvent({ causation: { rootEventId: 'r', depth: 3 } }),
      );
      expect(ownCap?.skipped?.message).toContain('cap of 2');
      const [atCap] = await match([rule()], buildEvent({ causation: { rootEventId: 'r', depth: 10 } }));
      expect(atCap?.matched).toBe(true);
    });

    it('keeps chat commands to the allowed chats and users', async () => {
      const on = { command: 'move {id} to {state}', chats: ['oc_1'], users: ['u1'] };
      const command = {
        name: 'move',
        args: { id: '1', state: 'done' },
        chatId: 'oc_2',
        messageId: 'm',
        sender: 'u1',
      };
      const event = buildEvent({ type: 'chat.command', source: 'chat', command });
      const [wrongChat] = await match([rule({ on })], event);
      expect(wrongChat?.skipped?.reason).toBe('chat_not_allowed');
      const [wrongUser] = await match([rule({ on })], {
        ...event,
        command: { ...command, chatId: 'oc_1', sender: 'u9' },
      });
      expect(wrongUser?.skipped?.reason).toBe('user_not_allowed');
      const [ok] = await match([rule({ on })], { ...event, command: { ...command, chatId: 'oc_1' } });
      expect(ok?.matched).toBe(true);
    });

    it('leaves disabled rules out', async () => {
      expect(await match([rule({ enabled: false })], buildEvent())).toEqual([]);
    });
  });
});
