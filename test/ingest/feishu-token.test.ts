import { describe, expect, it } from 'vitest';
import { extractWebhookToken, looksLikeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { feishuFixture } from './load-fixture.ts';

describe('extractWebhookToken', () => {
  it('reads header.token of the new format', () => {
    expect(extractWebhookToken(feishuFixture('new/workitem-create.json'), {})).toBe('fixture-secret-token');
  });

  it('reads the X-Plug-In-Token HTTP header of the legacy format, whatever its case', () => {
    const body = feishuFixture('legacy/story-created.json');
    expect(extractWebhookToken(body, { 'x-plug-in-token': 'legacy-secret' })).toBe('legacy-secret');
    expect(extractWebhookToken(body, { 'X-Plug-In-Token': ['first', 'second'] })).toBe('first');
    expect(extractWebhookToken(body, new Headers({ 'X-Plug-In-Token': 'from-fetch' }))).toBe('from-fetch');
  });

  it('returns undefined when there is no token, or an empty one', () => {
    expect(extractWebhookToken(feishuFixture('legacy/story-created.json'), {})).toBeUndefined();
    expect(extractWebhookToken({ header: { event_type: 'X', token: '' } }, {})).toBeUndefined();
    expect(extractWebhookToken(null, {})).toBeUndefined();
  });
});

describe('looksLikeFeishuWebhook', () => {
  it('recognises both formats and not a canonical event', () => {
    expect(looksLikeFeishuWebhook(feishuFixture('new/workitem-status.json'))).toBe(true);
    expect(looksLikeFeishuWebhook(feishuFixture('legacy/wf-node-checked-story.json'))).toBe(true);
    expect(
      looksLikeFeishuWebhook({
        id: 'e1',
        source: 'feishu',
        type: 'work_item.created',
        occurredAt: 1,
        payload: {},
      }),
    ).toBe(false);
    expect(looksLikeFeishuWebhook([])).toBe(false);
  });
});
