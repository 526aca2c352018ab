import { describe, expect, it } from 'vitest';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { isAutopilotError } from '../../src/errors.ts';
import { normalizeWorkItem } from '../../src/match/work-item.ts';
import { idempotencyKey } from '../../src/plan/idempotency.ts';
import { planNeedsWorkItem, planRun } from '../../src/plan/plan-run.ts';
import { action, buildEvent, buildRule, rawWorkItem } from '../support/match-builders.ts';

const NOW = 1_700_000_000_000;
const workItem = normalizeWorkItem(rawWorkItem());

const rule = buildRule({
  id: 'escalate-p0',
  version: 'abc123',
  do: [
    action('comment', { text: 'P0 raised by {{event.operator}}: {{work_item.name}}' }),
    action('transition', { to: 'triage' }, { recheck: true }),
    action('create_subtask', { node: 'doing', name: 'Triage {{work_item.id}}' }, { name: 'sub' }),
    action('comment', { text: 'subtask {{steps.sub.id}} created' }),
  ],
});

describe('planRun', () => {
  const run = planRun(buildEvent(), rule, { now: NOW, workItem });

  it('renders params, keeps order and flags, and builds the calls known now', () => {
    expect(run).toMatchObject({
      eventId: 'evt-1',
      ruleId: 'escalate-p0',
      ruleVersion: 'abc123',
      mode: 'live',
      lane: 'space1:6437110001',
      priority: 'webhook',
      createdAt: NOW,
    });
    const [comment, transition, subtask, later] = run.actions;
    expect(comment).toMatchObject({
      index: 0,
      type: 'comment',
      recheck: false,
      params: { text: 'P0 raised by user_a: Login fails' },
    });
    expect(comment?.calls).toEqual([
      {
        operation: 'comment.create',
        method: 'POST',
        path: '/open_api/space1/work_item/story/6437110001/comment/create',
        body: { content: 'P0 raised by user_a: Login fails' },
        write: true,
      },
    ]);
    expect(transition).toMatchObject({ index: 1, recheck: true, params: { to: 'triage' } });
    expect(transition?.calls).toBeUndefined();
    expect(subtask).toMatchObject({ name: 'sub', params: { name: 'Triage 6437110001' } });
    expect(subtask?.calls?.[0]?.operation).toBe('subtask.create');
    expect(later?.params).toEqual({ text: 'subtask {{steps.sub.id}} created' });
    expect(later?.calls).toBeUndefined();
  });

  it('gives deterministic ids: the same event and rule plan the same run and keys', () => {
    const again = planRun(buildEvent(), rule, { now: NOW + 5_000, workItem });
    expect(again.id).toBe(run.id);
    expect(again.actions.map((a) => a.idempotencyKey)).toEqual(run.actions.map((a) => a.idempotencyKey));
    expect(isUuid(run.id)).toBe(true);
    for (const a of run.actions) expect(uuidVersion(a.idempotencyKey)).toBe(5);
  });

  it('gives a different key per action index, rule version, rule and event', () => {
    const keys = run.actions.map((a) => a.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    const newVersion = planRun(buildEvent(), { ...rule, version: 'def456' }, { now: NOW, workItem });
    expect(newVersion.actions[0]?.idempotencyKey).not.toBe(keys[0]);
    expect(newVersion.id).toBe(run.id);
    const otherEvent = planRun(buildEvent({ id: 'evt-2' }), rule, { now: NOW, workItem });
    expect(otherEvent.actions[0]?.idempotencyKey).not.toBe(keys[0]);
    expect(otherEvent.id).not.toBe(run.id);
    expect(keys[2]).toBe(idempotencyKey('evt-1', 'escalate-p0', 'abc123', 2));
  });

  it('queues by work item, else by rule, and prioritizes by source', () => {
    const chat = buildEvent({
      source: 'chat',
      type: 'chat.command',
      workItem: undefined,
      command: { name: 'move', args: {}, chatId: 'c', messageId: 'm', sender: 's' },
    });
    const chatRun = planRun(chat, buildRule({ id: 'mover', do: [action('reply', { text: 'ok' })] }), {
      now: NOW,
    });
    expect(chatRun).toMatchObject({ lane: 'rule:mover', priority: 'chat' });
    for (const source of ['poll', 'schedule', 'replay'] as const) {
      expect(planRun(buildEvent({ source }), buildRule(), { now: NOW }).priority).toBe('background');
    }
    expect(planRun(buildEvent({ source: 'webhook' }), buildRule(), { now: NOW }).priority).toBe('webhook');
  });

  it('makes a missing template path an error naming the rule, action and path', () => {
    const broken = buildRule({
      id: 'broken',
      do: [action('comment', { text: 'hi' }), action('comment', { text: '{{work_item.fields.nope}}' })],
    });
    try {
      planRun(buildEvent(), broken, { now: NOW, workItem });
      throw new Error('expected an error');
    } catch (error) {
      expect(isAutopilotError(error, 'AP_TEMPLATE_MISSING_PATH')).toBe(true);
      if (!isAutopilotError(error)) return;
      expect(error.details).toMatchObject({
        ruleId: 'broken',
        actionIndex: 1,
        path: 'work_item.fields.nope',
      });
      expect(error.message).toContain('broken do[1]');
    }
  });

  it('reports bad action params as rule errors', () => {
    const bad = buildRule({ do: [action('rollback_node', { node: 'x' })] });
    expect(() => planRun(buildEvent(), bad, { now: NOW })).toThrow(/rollback_node: 'reason' is required/);
  });

  it('knows when templates need the work item loaded', () => {
    expect(planNeedsWorkItem(rule)).toBe(true);
    expect(planNeedsWorkItem(buildRule({ do: [action('comment', { text: '{{event.operator}}' })] }))).toBe(
      false,
    );
  });
});
