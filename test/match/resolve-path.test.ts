import { describe, expect, it } from 'vitest';
import { resolvePath } from '../../src/match/resolve-path.ts';

describe('resolvePath', () => {
  const root = {
    fields: { priority: '0', field_a1: 'high' },
    roles: { PM: ['u1'] },
    current_nodes: [{ id: 'doing', name: 'Doing' }],
  };

  it('follows dotted keys and list indexes', () => {
    expect(resolvePath(root, 'fields.priority')).toBe('0');
    expect(resolvePath(root, 'roles.PM')).toEqual(['u1']);
    expect(resolvePath(root, 'current_nodes.0.id')).toBe('doing');
    expect(resolvePath(root, '')).toBe(root);
  });

  it('gives undefined for missing segments and for stepping into scalars', () => {
    expect(resolvePath(root, 'fields.missing')).toBeUndefined();
    expect(resolvePath(root, 'current_nodes.5.id')).toBeUndefined();
    expect(resolvePath(root, 'fields.priority.length')).toBeUndefined();
    expect(resolvePath(null, 'a')).toBeUndefined();
    expect(resolvePath(undefined, 'a.b')).toBeUndefined();
  });

  it('never reaches the prototype chain', () => {
    expect(resolvePath(root, '__proto__')).toBeUndefined();
    expect(resolvePath(root, 'constructor')).toBeUndefined();
    expect(resolvePath(root, 'fields.constructor.prototype')).toBeUndefined();
    expect(resolvePath(root, 'toString')).toBeUndefined();
    expect(resolvePath(root, 'fields.hasOwnProperty')).toBeUndefined();
    expect(resolvePath([], 'map')).toBeUndefined();
  });

  it('refuses the reserved names even as own properties', () => {
    const tricky = JSON.parse('{"__proto__": {"x": 1}, "prototype": 2}') as unknown;
    expect(resolvePath(tricky, '__proto__.x')).toBeUndefined();
    expect(resolvePath(tricky, 'prototype')).toBeUndefined();
  });
});
