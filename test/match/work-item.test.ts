import { describe, expect, it } from 'vitest';
import { LosslessNumber } from 'lossless-json';
import { normalizeWorkItem } from '../../src/match/work-item.ts';
import { rawWorkItem } from '../support/match-builders.ts';

describe('normalizeWorkItem', () => {
  const item = normalizeWorkItem(rawWorkItem());

  it('keeps identity, state and nodes', () => {
    expect(item).toMatchObject({
      id: '6437110001',
      name: 'Login fails',
      type: 'story',
      project: 'space1',
      state: 'open',
      current_nodes: [{ id: 'doing', name: 'Doing' }],
      created_at: 1_699_000_000_000,
      updated_by: 'user_b',
    });
  });

  it('normalizes field values for rule authors, by key and by alias', () => {
    expect(item.fields.priority).toBe('0');
    expect(item.fields.field_a1).toBe('high');
    expect(item.fields.severity).toBe('high');
    expect(item.fields.tags).toEqual(['ui', 'auth']);
    expect(item.fields.tester).toBe('user_c');
    expect(item.fields.watchers).toEqual(['user_a', 'user_d']);
    expect(item.fields.due).toBe(1_700_100_000_000);
    expect(item.fields.points).toBe(3.5);
    expect(item.fields.description).toBe('Steps\n');
  });

  it('keys roles by role with their user_keys', () => {
    expect(item.roles).toEqual({ PM: ['user_pm'], rd: ['user_r1', 'user_r2'], qa: [] });
  });

  it('keeps the raw field list', () => {
    expect(item.raw_fields).toHaveLength(9);
  });

  it('keeps ids exact when they were parsed losslessly', () => {
    expect(normalizeWorkItem({ id: new LosslessNumber('9007199254740993123') }).id).toBe(
      '9007199254740993123',
    );
  });

  it('uses field meta for aliases and types the list does not carry', () => {
    const normalized = normalizeWorkItem(
      {
        fields: [
          { field_key: 'field_x', field_value: { value: 'a', label: 'A' } },
          { key: 'field_y', value: [{ value: 'b' }] },
        ],
      },
      [{ field_key: 'field_y', field_alias: 'areas', field_type_key: 'multi-select' }],
    );
    expect(normalized.fields).toEqual({ field_x: 'a', field_y: ['b'], areas: ['b'] });
  });

  it('tolerates junk and refuses reserved keys', () => {
    const normalized = normalizeWorkItem({
      id: null,
      fields: [
        null,
        5,
        { field_key: '__proto__', field_value: { polluted: true } },
        { field_key: 'ok', field_alias: 'constructor', field_value: 1 },
      ],
      work_item_status: 'done',
    });
    expect(normalized.id).toBe('');
    expect(normalized.state).toBe('done');
    expect(Object.keys(normalized.fields)).toEqual(['ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(normalizeWorkItem('nonsense').fields).toEqual({});
  });
});
