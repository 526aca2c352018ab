import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { NEW_EVENT_KINDS } from '../../src/ingest/feishu/event-kinds.ts';

const KNOWN = Object.keys(NEW_EVENT_KINDS);
const LEGACY = [
  'StoryCreated',
  'EventUpdate-issue',
  'WFNodeChecked-story',
  'EventUpdateStatus-task',
  'StoryCommentAdd',
];
const KEYS = [
  'id',
  'work_item_id',
  'work_item_type_key',
  'project_key',
  'updated_at',
  'created_at',
  'changed_fields',
  'fields',
  'nodes',
  'status_change_type',
  'pre_work_item_status',
  'cur_work_item_status',
  'comment',
  'role_owners',
  'node',
  'sub_task',
  'task',
  'is_aborted',
];
/** Payloads built from the keys the readers look at, holding anything JSON can. */
const payload = fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue(), { maxKeys: 8 });

describe('normalizeFeishuWebhook on arbitrary payloads', () => {
  it('never throws for a known new-format event type, and keeps ids as strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), payload, fc.jsonValue(), (eventType, p, uuid) => {
        const event = normalizeFeishuWebhook(
          { header: { event_type: eventType, uuid }, payload: p },
          { receivedAt: 7 },
        );
        expect(typeof event.id).toBe('string');
        expect(typeof event.type).toBe('string');
        expect(Number.isFinite(event.occurredAt)).toBe(true);
        if (event.workItem) expect(typeof event.workItem.id).toBe('string');
      }),
    );
  });

  it('never throws for a known legacy event type', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEGACY), payload, (eventType, p) => {
        expect(normalizeFeishuWebhook({ ...p, eventType }, { receivedAt: 7 }).source).toBe('feishu');
      }),
    );
  });

  it('rejects anything else only with AP_EVENT_INVALID', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          normalizeFeishuWebhook(body, { receivedAt: 7 });
        } catch (error) {
          expect(isAutopilotError(error, 'AP_EVENT_INVALID')).toBe(true);
        }
      }),
    );
  });
});
