import { describe, expect, it } from 'vitest';
import { normalizeFeishuWebhook } from '../../src/ingest/feishu/index.ts';
import { feishuFixture } from './load-fixture.ts';

const RECEIVED_AT = 1_800_000_000_000;
const STORY = { id: '6437110101', typeKey: 'story' };
const ISSUE = { id: '6437110102', typeKey: 'issue' };

function normalize(name: string) {
  return normalizeFeishuWebhook(feishuFixture(`legacy/${name}`), { receivedAt: RECEIVED_AT });
}

/** Every legacy fixture: the engine type, the work item and the change it must produce. */
const CASES: [file: string, type: string, workItem: unknown, change: unknown][] = [
  ['story-created.json', 'work_item.created', STORY, undefined],
  ['event-create-issue.json', 'work_item.created', ISSUE, undefined],
  [
    'event-create-task.json',
    'subtask.changed',
    STORY,
    { kind: 'subtask', action: 'created', taskId: '8811000002', nodeId: 'develop', name: 'Update docs' },
  ],
  [
    'story-value-changed.json',
    'work_item.updated',
    STORY,
    { kind: 'field', field: 'priority', from: 'P1', to: 'P0' },
  ],
  ['event-update-issue.json', 'work_item.updated', ISSUE, { kind: 'field', field: 'priority', to: 'P1' }],
  [
    'event-update-task.json',
    'subtask.changed',
    STORY,
    { kind: 'subtask', action: 'updated', taskId: '8811000002' },
  ],
  [
    'event-update-status-task.json',
    'subtask.changed',
    STORY,
    { kind: 'subtask', action: 'status', taskId: '8811000002', to: 'done' },
  ],
  [
    'story-stage-changed.json',
    'work_item.status_changed',
    STORY,
    { kind: 'status', from: 'develop', to: 'review' },
  ],
  [
    'event-update-status-issue.json',
    'work_item.status_changed',
    ISSUE,
    { kind: 'status', from: 'open', to: 'resolved' },
  ],
  [
    'story-aborted.json',
    'work_item.aborted',
    STORY,
    { kind: 'aborted', from: false, to: true, reason: 'Out of scope' },
  ],
  [
    'event-aborted-issue-restore.json',
    'work_item.restored',
    ISSUE,
    { kind: 'aborted', from: true, to: false, reason: 'Reopened by PM' },
  ],
  [
    'story-role-assigned.json',
    'work_item.roles_changed',
    STORY,
    { kind: 'role', role: 'PM', from: [], to: ['7491126018028090002'] },
  ],
  [
    'event-role-assigned-issue.json',
    'work_item.roles_changed',
    ISSUE,
    { kind: 'role', role: 'operator', to: ['7491126018028090001'] },
  ],
  [
    'wf-node-owner-changed.json',
    'work_item.roles_changed',
    STORY,
    { kind: 'role', nodeId: 'develop', to: ['7491126018028090003'] },
  ],
  [
    'wf-node-owner-changed-issue.json',
    'work_item.roles_changed',
    ISSUE,
    { kind: 'role', nodeId: 'fix', to: ['7491126018028090003'] },
  ],
  ['wf-node-checked.json', 'node.completed', STORY, { kind: 'node', nodeId: 'develop', nodeName: 'Develop' }],
  ['wf-node-checked-story.json', 'node.completed', STORY, { kind: 'node', nodeId: 'develop' }],
  ['wf-node-reached.json', 'node.reached', STORY, { kind: 'node', nodeId: 'review' }],
  ['wf-node-reached-issue.json', 'node.reached', ISSUE, { kind: 'node', nodeId: 'verify' }],
  [
    'wf-node-rollbacked.json',
    'node.rolled_back',
    STORY,
    { kind: 'node', nodeId: 'review', reason: 'Tests missing' },
  ],
  ['wf-node-rollbacked-story.json', 'node.rolled_back', STORY, { kind: 'node', nodeId: 'review' }],
  [
    'wf-node-schedule-changed.json',
    'work_item.updated',
    STORY,
    { kind: 'schedule', nodeId: 'develop', to: { estimate_end_date: 1762012799999 } },
  ],
  ['wf-node-schedule-changed-issue.json', 'work_item.updated', ISSUE, { kind: 'schedule', nodeId: 'fix' }],
  [
    'story-comment-add.json',
    'work_item.commented',
    STORY,
    { kind: 'comment', text: 'LGTM', commentId: '99001' },
  ],
];

describe('Feishu legacy-format webhooks', () => {
  it.each(CASES)('%s → %s', (file, type, workItem, change) => {
    const event = normalize(file);
    expect(event.type).toBe(type);
    expect(event.source).toBe('feishu');
    expect(event.workItem).toEqual(workItem);
    expect(event.change).toEqual(change);
    expect(event.projectKey).toBe('68382b399de4b0ec6c5a1f20');
    expect(event.operator).toBe('7491126018028093443');
    expect(event.occurredAt).toBe(1761475143215);
  });

  it('uses a uuid when the legacy body has one', () => {
    expect(normalize('event-create-issue.json').id).toBe('feishu:legacy-7f3a-0001');
  });

  it('derives a stable id from the body when there is no uuid, whatever the key order', () => {
    const body = feishuFixture('legacy/story-created.json') as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const first = normalizeFeishuWebhook(body, { receivedAt: 1 });
    expect(first.id).toMatch(/^feishu:body-[0-9a-f]{32}$/);
    expect(normalizeFeishuWebhook(reordered, { receivedAt: 2 }).id).toBe(first.id);
    const changed = normalizeFeishuWebhook({ ...body, name: 'Other' }, { receivedAt: 1 });
    expect(changed.id).not.toBe(first.id);
  });

  it('reads data nested under `data`, uses receivedAt without timestamps, and drops the token', () => {
    const event = normalize('nested-data.json');
    expect(event).toMatchObject({
      type: 'work_item.created',
      workItem: { id: '6437110103', typeKey: 'issue' },
      occurredAt: RECEIVED_AT,
    });
    expect(JSON.stringify(event)).not.toContain('should-not-appear');
  });

  it('keeps the flat body (minus the token) as the payload', () => {
    const event = normalizeFeishuWebhook(
      { eventType: 'StoryCreated', id: 1, token: 'secret' },
      { receivedAt: 1 },
    );
    expect(event.payload).toEqual({ eventType: 'StoryCreated', id: 1 });
  });
});
