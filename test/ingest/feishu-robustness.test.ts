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

/**
 * Normalizes, allowing only the refusal of a work item id the API could not take (the one
 * error a payload of a known event type may cause); returns undefined then.
 */
function normalizeOrIdRefused(body: unknown): ReturnType<typeof normalizeFeishuWebhook> | undefined {
  try {
    return normalizeFeishuWebhook(body, { receivedAt: 7 });
  } catch (error) {
    expect(isAutopilotError(error, 'AP_ID_INVALID'), String(error)).toBe(true);
    return undefined;
  }
}

describe('normalizeFeishuWebhook on arbitrary payloads', () => {
  it('never throws for a known new-format event type but on a bad work item id, and keeps ids as strings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN), payload, fc.jsonValue(), (eventType, p, uuid) => {
        const event = normalizeOrIdRefused({ header: { event_type: eventType, uuid }, payload: p });
        if (event === undefined) return;
        expect(typeof event.id).toBe('string');
        expect(typeof event.type).toBe('string');
        expect(Number.isFinite(event.occurredAt)).toBe(true);
        if (event.workItem) expect(typeof event.workItem.id).toBe('string');
      }),
    );
  });

  it('never throws for a known legacy event type but on a bad work item id', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEGACY), payload, (eventType, p) => {
        const event = normalizeOrIdRefused({ ...p, eventType });
        if (event !== undefined) expect(event.source).toBe('feishu');
      }),
    );
  });

  it('accepts every positive int64 as a work item id, and refuses everything else named an id', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), (n) => {
        const body = { header: { event_type: 'WorkitemCreateEvent', uuid: 'u' }, payload: { id: String(n) } };
        const valid = n > 0n && n < 2n ** 63n;
        expect(normalizeOrIdRefused(body) !== undefined).toBe(valid);
      }),
    );
  });

  it('rejects anything else only with AP_EVENT_INVALID or AP_ID_INVALID', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          normalizeFeishuWebhook(body, { receivedAt: 7 });
        } catch (error) {
          expect(
            isAutopilotError(error, 'AP_EVENT_INVALID') || isAutopilotError(error, 'AP_ID_INVALID'),
          ).toBe(true);
        }
      }),
    );
  });
});
