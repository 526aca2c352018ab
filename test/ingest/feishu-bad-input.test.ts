import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';

function failure(body: unknown): AutopilotError {
  try {
    normalizeFeishuWebhook(body, { receivedAt: 0 });
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error('expected normalizeFeishuWebhook to throw');
}

describe('unusable Feishu webhook bodies', () => {
  it.each([
    [null, 'must be a JSON object, got null'],
    ['text', 'must be a JSON object, got a string'],
    [[1, 2], 'must be a JSON object, got an array'],
    [42, 'must be a JSON object, got a number'],
  ])('%j is refused: %s', (body, message) => {
    const error = failure(body);
    expect(error.code).toBe('AP_EVENT_INVALID');
    expect(error.message).toContain(message);
  });

  it('refuses a body with no event type in either format', () => {
    const error = failure({ header: { uuid: 'x' }, payload: { id: 1 } });
    expect(error.code).toBe('AP_EVENT_INVALID');
    expect(error.message).toMatch(/neither header\.event_type .* nor eventType/);
  });

  it('refuses an unknown new-format event_type and names it', () => {
    const error = failure({ header: { event_type: 'SomethingNewEvent' }, payload: {} });
    expect(error.code).toBe('AP_EVENT_INVALID');
    expect(error.message).toContain("unsupported Feishu event_type 'SomethingNewEvent'");
    expect(error.details).toEqual({ eventType: 'SomethingNewEvent' });
  });

  it('refuses an unknown legacy eventType and names it', () => {
    const error = failure({ eventType: 'EventExplode-issue', id: 1 });
    expect(error.code).toBe('AP_EVENT_INVALID');
    expect(error.message).toContain("unsupported Feishu legacy eventType 'EventExplode-issue'");
  });

  it('survives a payload that is not an object', () => {
    const event = normalizeFeishuWebhook(
      { header: { event_type: 'WorkitemCreateEvent', uuid: 'u' }, payload: 'oops' },
      { receivedAt: 5 },
    );
    expect(event).toMatchObject({ id: 'feishu:u', type: 'work_item.created', occurredAt: 5, payload: {} });
  });
});
