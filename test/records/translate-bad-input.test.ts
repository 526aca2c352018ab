/** Records the translator cannot or must not turn into events: coded skips, never a crash or an invented event. */
import { describe, expect, it } from 'vitest';
import { translateRecords } from '../../src/records/translate-records.ts';

const T = Date.UTC(2026, 0, 1);
const engine = { userKey: 'engine', pluginId: 'MII_X' };

function record(overrides: Record<string, unknown> = {}) {
  return {
    project_key: 'p',
    work_item_type_key: 'issue',
    work_item_id: 42,
    operation_time: T,
    operator: 'alice',
    operator_type: 'user',
    operation_type: 'modify',
    op_record_module: 'field_mod',
    record_contents: [
      {
        object: { object_type: 'field', object_value: 'priority' },
        old: ['P1'],
        new: ['P0'],
        add: [],
        delete: [],
      },
    ],
    ...overrides,
  };
}

describe('translateRecords on bad input', () => {
  it('skips an unknown module, an unknown object type and an unreadable record with AP_RECORD_UNKNOWN', () => {
    const { events, skips } = translateRecords(
      [
        record({ op_record_module: 'galaxy_mod' }),
        record({
          record_contents: [{ object: { object_type: 'hologram', object_value: 'x' }, old: [], new: [] }],
        }),
        record({ work_item_id: 'not-an-id' }),
        null,
        'text',
      ],
      { engine },
    );
    expect(events).toEqual([]);
    expect(skips.map((s) => s.code)).toEqual(Array(5).fill('AP_RECORD_UNKNOWN'));
    const reasons = skips.map((s) => s.reason);
    expect(reasons).toContain("unknown op_record_module 'galaxy_mod'");
    expect(reasons).toContain('no event for field_mod/modify/hologram');
    expect(reasons.filter((r) => r.startsWith('unreadable record'))).toHaveLength(3);
  });

  it('skips records from before 2024-07-02 with AP_RECORD_TOO_OLD', () => {
    const { events, skips } = translateRecords([record({ operation_time: Date.UTC(2024, 6, 1) })], {
      engine,
    });
    expect(events).toEqual([]);
    expect(skips).toMatchObject([{ code: 'AP_RECORD_TOO_OLD', workItemId: '42' }]);
  });

  it('skips the changes of an item deleted since, keeps its deletion, even when the deletion is after the window', () => {
    const deletion = record({
      operation_time: T + 5000,
      op_record_module: 'work_item_mod',
      operation_type: 'delete',
      record_contents: [{ object: { object_type: 'work_item', object_value: '42' }, old: ['x'], new: [] }],
    });
    const inWindow = translateRecords([record(), deletion], { engine });
    expect(inWindow.events.map((e) => e.type)).toEqual(['work_item.deleted']);
    expect(inWindow.skips).toMatchObject([{ code: 'AP_RECORD_ITEM_DELETED', workItemId: '42' }]);
    const before = translateRecords([record(), deletion], { engine, until: T + 1000 });
    expect(before.events).toEqual([]);
    expect(before.skips).toMatchObject([{ code: 'AP_RECORD_ITEM_DELETED' }]);
  });

  it('ignores known records that no webhook stands for (relations, baselines) without a skip', () => {
    const { events, skips } = translateRecords(
      [
        record({ op_record_module: 'baseline_mod', operation_type: 'create', record_contents: [] }),
        record({
          op_record_module: 'work_item_mod',
          operation_type: 'add',
          record_contents: [{ object: { object_type: 'relation', object_value: '42' }, old: [], new: ['7'] }],
        }),
      ],
      { engine },
    );
    expect(events).toEqual([]);
    expect(skips).toEqual([]);
  });

  it('types values with the field type when it is known', () => {
    const fieldType = (_p: string, _t: string, key: string) =>
      ({ estimate: 'number', tags: 'multi_select' })[key];
    const { events } = translateRecords(
      [
        record({
          record_contents: [
            { object: { object_type: 'field', object_value: 'estimate' }, old: [], new: ['5'] },
            { object: { object_type: 'field', object_value: 'tags' }, old: [], new: ['a'] },
            { object: { object_type: 'field', object_value: 'note' }, old: ['x'], new: ['y'] },
          ],
        }),
      ],
      { engine, fieldType },
    );
    expect(events[0]?.change).toMatchObject({
      field: 'estimate',
      from: null,
      to: 5,
      fields: [
        { field: 'estimate', to: 5 },
        { field: 'tags', to: ['a'] },
        { field: 'note', from: 'x', to: 'y' },
      ],
    });
  });

  it('names the origin of each change', () => {
    const origins = translateRecords(
      [
        record(),
        record({
          operation_time: T + 1,
          operator: '7500',
          operator_type: 'auto',
          source_type: 'auto',
          source: '7500',
        }),
        record({
          operation_time: T + 2,
          operator: 'engine',
          operator_type: 'plugin',
          source_type: 'plugin',
          source: 'MII_X',
        }),
        record({
          operation_time: T + 3,
          operator: 'bob',
          operator_type: 'plugin',
          source_type: 'plugin',
          source: 'MII_OTHER',
        }),
        record({ operation_time: T + 4, operator: '', operator_type: 'calc_field' }),
      ],
      { engine },
    ).events.map((e) => e.origin);
    expect(origins).toEqual([
      { kind: 'user', id: 'alice', via: 'op_record' },
      { kind: 'automation', id: '7500', via: 'op_record' },
      { kind: 'engine', id: 'MII_X', user: 'engine', via: 'op_record' },
      { kind: 'plugin', id: 'MII_OTHER', user: 'bob', via: 'op_record' },
      { kind: 'system', id: 'calc_field', via: 'op_record' },
    ]);
  });
});
