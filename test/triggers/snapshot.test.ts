import { describe, expect, it } from 'vitest';
import { diffSnapshots, takeSnapshot } from '../../src/triggers/snapshot.ts';
import type { FoundItem } from '../../src/triggers/search-items.ts';

function item(status: string, priority: string, extra: FoundItem['fields'] = []): FoundItem {
  return {
    id: '42',
    updated_at: 1000,
    work_item_status: { state_key: status },
    fields: [
      { field_key: 'priority', field_alias: 'priority', field_value: { label: priority, value: priority } },
      { field_key: 'field_severity', field_alias: 'severity', field_value: { value: 'minor' } },
      { field_key: 'role_owners', field_alias: '', field_value: [] },
      ...(extra ?? []),
    ],
  };
}

describe('snapshots', () => {
  it('keep the watched fields by key or alias, values as rule authors compare them', () => {
    expect(takeSnapshot(item('open', 'P1'), ['priority', 'severity'], 5)).toEqual({
      updatedAt: 1000,
      status: 'open',
      fields: { priority: 'P1', field_severity: 'minor' },
      takenAt: 5,
    });
  });

  it('watch every content field when the list is empty', () => {
    expect(Object.keys(takeSnapshot(item('open', 'P1'), [], 5).fields)).toEqual([
      'priority',
      'field_severity',
    ]);
  });

  it('differ by status first, then by field, from → to', () => {
    const before = takeSnapshot(item('open', 'P1'), ['priority'], 5);
    const after = takeSnapshot(item('in_progress', 'P0'), ['priority'], 9);
    expect(diffSnapshots(before, after)).toEqual([
      { type: 'work_item.status_changed', change: { kind: 'status', from: 'open', to: 'in_progress' } },
      { type: 'work_item.updated', change: { kind: 'field', field: 'priority', from: 'P1', to: 'P0' } },
    ]);
  });

  it('see no change when only unwatched fields or key order differ', () => {
    const a = takeSnapshot(item('open', 'P1', [{ field_key: 'x', field_value: { b: 1, a: 2 } }]), [], 1);
    const b = takeSnapshot(item('open', 'P1', [{ field_key: 'x', field_value: { a: 2, b: 1 } }]), [], 2);
    expect(diffSnapshots(a, b)).toEqual([]);
  });

  it('report a field that appears or disappears', () => {
    const a = takeSnapshot(item('open', 'P1'), [], 1);
    const b = takeSnapshot(
      item('open', 'P1', [{ field_key: 'field_due', field_value: 1700000000000 }]),
      [],
      2,
    );
    expect(diffSnapshots(a, b)).toEqual([
      {
        type: 'work_item.updated',
        change: { kind: 'field', field: 'field_due', from: null, to: 1700000000000 },
      },
    ]);
  });
});
