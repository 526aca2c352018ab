import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { referencesRoot, renderParams, renderTemplate } from '../../src/templates/render.ts';

const context = {
  event: { operator: 'user_a', payload: { text: '{{work_item.secret}}', count: 0, flag: false } },
  work_item: {
    id: '6437110001',
    name: 'Login fails',
    secret: 'do-not-leak',
    fields: { tags: ['ui', 'auth'], due: Date.UTC(2026, 0, 31, 20, 30, 5), nothing: null, points: 3.5 },
    current_nodes: [{ id: 'doing', name: 'Doing' }],
  },
  command: { args: { state: 'Done' } },
  now: 0,
};

function missingPath(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isAutopilotError(error, 'AP_TEMPLATE_MISSING_PATH')) return error.details?.path as string;
    throw error;
  }
  return undefined;
}

describe('renderTemplate', () => {
  it('interpolates paths into text', () => {
    expect(renderTemplate('P0 raised by {{event.operator}}: {{work_item.name}}', context)).toBe(
      'P0 raised by user_a: Login fails',
    );
    expect(renderTemplate('node {{work_item.current_nodes.0.id}}', context)).toBe('node doing');
    expect(renderTemplate('no templates here', context)).toBe('no templates here');
  });

  it('keeps the type of a template that is exactly one expression', () => {
    expect(renderTemplate('{{work_item.fields.tags}}', context)).toEqual(['ui', 'auth']);
    expect(renderTemplate('{{work_item.fields.points}}', context)).toBe(3.5);
    expect(renderTemplate('{{event.payload.count}}', context)).toBe(0);
    expect(renderTemplate('{{event.payload.flag}}', context)).toBe(false);
  });

  it('writes lists and objects readably inside text', () => {
    expect(renderTemplate('tags: {{work_item.fields.tags}}', context)).toBe('tags: ui, auth');
    expect(renderTemplate('node: {{work_item.current_nodes.0}}', context)).toBe(
      'node: {"id":"doing","name":"Doing"}',
    );
  });

  it('makes a missing path an error of the rule, never an empty string', () => {
    expect(missingPath(() => renderTemplate('hi {{work_item.fields.absent}}', context))).toBe(
      'work_item.fields.absent',
    );
    expect(missingPath(() => renderTemplate('{{work_item.fields.nothing}}', context))).toBe(
      'work_item.fields.nothing',
    );
    expect(missingPath(() => renderTemplate('{{nope.x}}', context))).toBe('nope.x');
    expect(missingPath(() => renderTemplate('{{work_item.fields.absent | upper}}', context))).toBe(
      'work_item.fields.absent',
    );
  });

  it('fills a missing path only through default', () => {
    expect(renderTemplate('{{work_item.fields.absent | default("none")}}', context)).toBe('none');
    expect(renderTemplate('{{work_item.fields.nothing | upper | default("n/a")}}', context)).toBe('n/a');
    expect(renderTemplate('{{work_item.name | default("x")}}', context)).toBe('Login fails');
  });

  it('applies join, date, json, upper and lower', () => {
    expect(renderTemplate('{{work_item.fields.tags | join(" / ")}}', context)).toBe('ui / auth');
    expect(renderTemplate('{{work_item.fields.tags | join}}', context)).toBe('ui, auth');
    expect(renderTemplate('{{work_item.fields.due | date}}', context)).toBe('2026-01-31');
    expect(renderTemplate('{{work_item.fields.due | date("YYYY-MM-DD HH:mm:ss")}}', context)).toBe(
      '2026-01-31 20:30:05',
    );
    expect(
      renderTemplate('{{work_item.fields.due | date("YYYY-MM-DD HH:mm", "Asia/Shanghai")}}', context),
    ).toBe('2026-02-01 04:30');
    expect(renderTemplate('{{work_item.fields.tags | json}}', context)).toBe('["ui","auth"]');
    expect(renderTemplate('{{command.args.state | lower}}', context)).toBe('done');
    expect(renderTemplate('{{work_item.fields.tags | upper}}', context)).toEqual(['UI', 'AUTH']);
  });

  it('refuses bad dates and time zones', () => {
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isAutopilotError(error) ? error.code : 'other';
      }
      return 'none';
    };
    expect(code(() => renderTemplate('{{work_item.name | date}}', context))).toBe('AP_TEMPLATE_INVALID');
    expect(code(() => renderTemplate('{{work_item.fields.due | date("YYYY", "Mars/Base")}}', context))).toBe(
      'AP_TEMPLATE_INVALID',
    );
    expect(code(() => renderTemplate('{{work_item.name', context))).toBe('AP_TEMPLATE_INVALID');
  });

  it('gives values that look like templates no effect: they are data, rendered once', () => {
    expect(renderTemplate('said: {{event.payload.text}}', context)).toBe('said: {{work_item.secret}}');
    expect(renderTemplate('{{event.payload.text}}', context)).toBe('{{work_item.secret}}');
  });

  it('cannot reach prototypes', () => {
    const code = (text: string) => {
      try {
        renderTemplate(text, context);
      } catch (error) {
        return isAutopilotError(error) ? error.code : 'other';
      }
      return 'rendered';
    };
    expect(code('{{work_item.__proto__}}')).toBe('AP_TEMPLATE_INVALID');
    expect(code('{{work_item.name.constructor}}')).toBe('AP_TEMPLATE_INVALID');
    expect(code('{{work_item.toString}}')).toBe('AP_TEMPLATE_MISSING_PATH');
  });
});

describe('renderParams', () => {
  it('renders deeply over objects and lists and keeps other values', () => {
    const params = {
      text: 'Hi {{event.operator}}',
      fields: { tags: '{{work_item.fields.tags}}', points: 5, on: true },
      users: ['{{event.operator}}', 'fixed'],
    };
    expect(renderParams(params, context)).toEqual({
      text: 'Hi user_a',
      fields: { tags: ['ui', 'auth'], points: 5, on: true },
      users: ['user_a', 'fixed'],
    });
  });

  it('leaves templates reading deferred roots as written', () => {
    const params = { text: 'created {{steps.create.id}} for {{work_item.id}}', other: '{{work_item.id}}' };
    expect(renderParams(params, context, { deferRoots: ['steps'] })).toEqual({
      text: 'created {{steps.create.id}} for {{work_item.id}}',
      other: '6437110001',
    });
    expect(referencesRoot(params, ['steps'])).toBe(true);
    expect(referencesRoot({ a: ['{{work_item.id}}'] }, ['steps'])).toBe(false);
    expect(renderParams(params, { ...context, steps: { create: { id: '77' } } })).toEqual({
      text: 'created 77 for 6437110001',
      other: '6437110001',
    });
  });
});
