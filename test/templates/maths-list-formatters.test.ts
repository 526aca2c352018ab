import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { renderTemplate } from '../../src/templates/render.ts';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const context = {
  now: NOW,
  work_item: {
    created_at: Date.UTC(2026, 10, 29, 13, 0, 0),
    fields: { points: 3, estimate: '2.5', label: 'x', due_iso: '2026-12-01T12:00:00Z', tags: ['ui', 'auth'] },
    roles: { qa: ['111', '222', '333'], empty: [] },
    nodes: [
      { id: 'a', owner: { name: 'Ann' } },
      { id: 'b', owner: { name: 'Bo' } },
      { id: 'c' },
      'not an object',
    ],
  },
};

function render(template: string): unknown {
  return renderTemplate(template, context);
}

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isAutopilotError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('arithmetic formatters', () => {
  it('answer numbers, kept as numbers in a lone look-up', () => {
    expect(render('{{work_item.fields.points | plus(2)}}')).toBe(5);
    expect(render('{{work_item.fields.points | minus(5)}}')).toBe(-2);
    expect(render('{{work_item.fields.points | times(1.5)}}')).toBe(4.5);
    expect(render('{{work_item.fields.points | plus("-1") | times(10)}}')).toBe(20);
  });
  it('read a numeric string as a number', () => {
    expect(render('{{work_item.fields.estimate | plus(1)}}')).toBe(3.5);
    expect(render('total: {{work_item.fields.estimate | times(2)}}')).toBe('total: 5');
  });
  it('refuse a non-number with a coded error', () => {
    expect(errorOf(() => render('{{work_item.fields.label | plus(1)}}'))).toEqual({
      code: 'AP_TEMPLATE_INVALID',
      message: 'plus: expected a number, got "x"',
    });
    expect(errorOf(() => render('{{work_item.fields.tags | times(2)}}')).code).toBe('AP_TEMPLATE_INVALID');
  });
});

describe('date maths', () => {
  it('add answers epoch ms and chains into date', () => {
    expect(render('{{work_item.created_at | add("2d")}}')).toBe(Date.UTC(2026, 11, 1, 13, 0, 0));
    expect(render('{{work_item.created_at | add("2d") | date("YYYY-MM-DD")}}')).toBe('2026-12-01');
    expect(render('{{work_item.created_at | add("-1h") | date("YYYY-MM-DD HH:mm")}}')).toBe(
      '2026-11-29 12:00',
    );
    expect(render('{{work_item.fields.due_iso | add("1h30m")}}')).toBe(Date.UTC(2026, 11, 1, 13, 30, 0));
  });
  it('days_since counts whole days to the run time', () => {
    expect(render('{{work_item.created_at | days_since}}')).toBe(2);
    expect(render('{{work_item.fields.due_iso | days_since}}')).toBe(1);
    expect(render('{{work_item.created_at | add("4d") | days_since}}')).toBe(-1);
  });
  it('refuse a value that is not a time', () => {
    expect(errorOf(() => render('{{work_item.fields.label | add("1d")}}'))).toEqual({
      code: 'AP_TEMPLATE_INVALID',
      message: 'add: expected epoch milliseconds or an ISO 8601 time, got "x"',
    });
    expect(errorOf(() => render('{{work_item.fields.tags | days_since}}')).code).toBe('AP_TEMPLATE_INVALID');
  });
});

describe('list formatters', () => {
  it('size of a list, a text and an object', () => {
    expect(render('{{work_item.roles.qa | size}}')).toBe(3);
    expect(render('{{work_item.fields.label | size}}')).toBe(1);
    expect(render('{{work_item.roles | size}}')).toBe(2);
    expect(render('{{work_item.roles.empty | size}}')).toBe(0);
    expect(errorOf(() => render('{{work_item.fields.points | size}}')).code).toBe('AP_TEMPLATE_INVALID');
  });
  it('first and last; an empty list is missing unless a default follows', () => {
    expect(render('{{work_item.roles.qa | first}}')).toBe('111');
    expect(render('{{work_item.roles.qa | last}}')).toBe('333');
    expect(render('{{work_item.roles.empty | first | default("nobody")}}')).toBe('nobody');
    expect(errorOf(() => render('{{work_item.roles.empty | last}}')).code).toBe('AP_TEMPLATE_MISSING_PATH');
    expect(errorOf(() => render('{{work_item.fields.label | first}}')).code).toBe('AP_TEMPLATE_INVALID');
  });
  it('map picks a key (or dot path) from each object, leaving out those without it', () => {
    expect(render('{{work_item.nodes | map("id")}}')).toEqual(['a', 'b', 'c']);
    expect(render('{{work_item.nodes | map("owner.name") | join(" & ")}}')).toBe('Ann & Bo');
    expect(render('{{work_item.nodes | map("id") | size}}')).toBe(3);
    expect(render('{{work_item.nodes | map("id") | last | upper}}')).toBe('C');
    expect(errorOf(() => render('{{work_item.fields.label | map("id")}}')).code).toBe('AP_TEMPLATE_INVALID');
  });
  it('map never reaches a prototype', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', 'owner.constructor']) {
      expect(errorOf(() => render(`{{work_item.nodes | map("${key}")}}`)).code).toBe('AP_TEMPLATE_INVALID');
    }
    expect(render('{{work_item.nodes | map("toString")}}')).toEqual([]);
    expect(render('{{work_item.nodes | map("length") | size}}')).toBe(0);
  });
});
