/**
 * The built-in card layout of the `message` action: a coloured header with a title, an
 * optional markdown text, `label: value` fields two to a row, callback buttons (each click
 * becomes a `card.action` event for rules with `on.card_action`) and a button that opens the
 * work item in Feishu Project. A shared card (`update_multi`), so the engine can update it in
 * place after a click. Pure: params in, Lark card JSON 1.0 out.
 */
import { toText } from '../templates/formatters.ts';
import { ruleError, type Params } from './action-context.ts';

/** The marker in a button's value that says the engine made it: clicks without it are not ours. */
export const CARD_BUTTON_MARK = 'autopilot';

export interface WorkItemLink {
  project: string;
  type: string;
  id: string;
  url: string;
}

export interface ButtonSpec {
  text: string;
  action: string;
  style?: 'primary' | 'default' | 'danger';
  value?: Record<string, unknown>;
}

/** The value a callback button carries: what the click's event needs to find its rule and work item. */
export function buttonValue(action: string, link: WorkItemLink | undefined, value?: Record<string, unknown>) {
  return {
    [CARD_BUTTON_MARK]: 1,
    action,
    ...(link ? { work_item: { project: link.project, type: link.type, id: link.id } } : {}),
    ...(value ? { value } : {}),
  };
}

function plain(content: string) {
  return { tag: 'plain_text', content };
}

function md(content: string) {
  return { tag: 'lark_md', content };
}

export function callbackButton(spec: ButtonSpec, link: WorkItemLink | undefined) {
  return {
    tag: 'button',
    text: plain(spec.text),
    type: spec.style ?? 'default',
    value: buttonValue(spec.action, link, spec.value),
  };
}

export function builtInCard(card: Params, link: WorkItemLink | undefined): Record<string, unknown> {
  const title = card.title;
  if (typeof title !== 'string' || title === '') throw ruleError('message', "card: 'title' is required");
  const elements: unknown[] = [];
  if (typeof card.text === 'string' && card.text !== '') elements.push({ tag: 'div', text: md(card.text) });
  const fields = (card.fields ?? {}) as Record<string, unknown>;
  if (Object.keys(fields).length > 0) {
    elements.push({
      tag: 'div',
      fields: Object.entries(fields).map(([label, value]) => ({
        is_short: true,
        text: md(`**${label}**\n${toText(value)}`),
      })),
    });
  }
  const actions = buttonsOf(card, link);
  if (actions.length > 0) elements.push({ tag: 'action', actions });
  if (elements.length === 0) elements.push({ tag: 'div', text: md(title) });
  return {
    config: { wide_screen_mode: true, update_multi: true },
    header: { title: plain(title), template: typeof card.color === 'string' ? card.color : 'blue' },
    elements,
  };
}

function buttonsOf(card: Params, link: WorkItemLink | undefined): unknown[] {
  const buttons = Array.isArray(card.buttons) ? (card.buttons as ButtonSpec[]) : [];
  const out: unknown[] = buttons.map((b) => callbackButton(b, link));
  const open = card.open ?? true;
  if (open !== false && link) {
    const text = typeof open === 'string' ? open : 'Open in Feishu Project';
    out.push({ tag: 'button', text: plain(text), type: 'default', url: link.url });
  }
  return out;
}
