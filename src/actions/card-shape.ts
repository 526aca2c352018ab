/**
 * What makes a Lark card valid enough to send, checked before Lark sees it: a JSON object with
 * a body (`elements`, `i18n_elements`, or schema 2.0 `body.elements`), every element with a
 * `tag`, text objects `{tag: plain_text | lark_md, content: <string>}`, buttons with text and
 * a `url` or an object `value`, a header colour Lark has, and at most 30 KB. Used on card files
 * by `autopilot check` (as written, templates included) and on every card after rendering.
 * Pure: problems come back with their path inside the card.
 */
export interface CardIssue {
  path: (string | number)[];
  message: string;
}

export const CARD_COLOURS = [
  'blue',
  'wathet',
  'turquoise',
  'green',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
  'default',
] as const;

/** Lark refuses card and rich-text bodies over 30 KB. */
export const CARD_MAX_BYTES = 30 * 1024;

const TEXT_TAGS = new Set(['plain_text', 'lark_md']);

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function cardIssues(card: unknown): CardIssue[] {
  const root = obj(card);
  if (!root) return [{ path: [], message: 'a card must be a JSON object' }];
  const issues: CardIssue[] = [];
  const bodies = bodiesOf(root);
  if (bodies.length === 0) {
    issues.push({
      path: [],
      message: 'a card needs `elements` (or `i18n_elements`, or schema 2.0 `body.elements`)',
    });
  }
  for (const { path, list } of bodies) {
    if (!Array.isArray(list)) {
      issues.push({ path, message: 'must be a list of elements' });
      continue;
    }
    list.forEach((element, i) => checkElement(element, [...path, i], issues));
  }
  const header = obj(root.header);
  if (root.header !== undefined && !header)
    issues.push({ path: ['header'], message: 'header must be an object' });
  if (header) {
    if (header.title !== undefined) checkText(header.title, ['header', 'title'], issues);
    const colour = header.template;
    if (colour !== undefined && !(CARD_COLOURS as readonly unknown[]).includes(colour)) {
      issues.push({
        path: ['header', 'template'],
        message: `unknown header colour ${JSON.stringify(colour)} (Lark has ${CARD_COLOURS.join(', ')})`,
      });
    }
  }
  return issues;
}

/** The rendered card as Lark will get it, over the size limit or not. */
export function cardSizeIssue(card: unknown): CardIssue | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(card));
  return bytes > CARD_MAX_BYTES
    ? { path: [], message: `the card is ${bytes} bytes; Lark takes at most ${CARD_MAX_BYTES}` }
    : undefined;
}

function bodiesOf(root: Obj): Array<{ path: (string | number)[]; list: unknown }> {
  if (root.schema === '2.0')
    return obj(root.body) ? [{ path: ['body', 'elements'], list: (root.body as Obj).elements }] : [];
  const out: Array<{ path: (string | number)[]; list: unknown }> = [];
  if (root.elements !== undefined) out.push({ path: ['elements'], list: root.elements });
  const i18n = obj(root.i18n_elements);
  for (const [lang, list] of Object.entries(i18n ?? {})) out.push({ path: ['i18n_elements', lang], list });
  return out;
}

function checkElement(element: unknown, path: (string | number)[], issues: CardIssue[]): void {
  const e = obj(element);
  if (!e || typeof e.tag !== 'string' || e.tag === '') {
    issues.push({ path, message: 'every element needs a string `tag`' });
    return;
  }
  if (e.text !== undefined) checkText(e.text, [...path, 'text'], issues);
  if (e.tag === 'markdown' && typeof e.content !== 'string') {
    issues.push({ path: [...path, 'content'], message: 'markdown content must be a string' });
  }
  if (Array.isArray(e.fields)) {
    e.fields.forEach((field, i) => checkText(obj(field)?.text, [...path, 'fields', i, 'text'], issues));
  }
  if (e.tag === 'button') checkButton(e, path, issues);
  for (const key of ['actions', 'elements', 'columns']) {
    const children = e[key];
    if (Array.isArray(children))
      children.forEach((child, i) => checkElement(child, [...path, key, i], issues));
  }
}

function checkButton(button: Obj, path: (string | number)[], issues: CardIssue[]): void {
  if (button.url !== undefined && typeof button.url !== 'string') {
    issues.push({ path: [...path, 'url'], message: 'a button url must be a string' });
  }
  if (button.value !== undefined && !obj(button.value)) {
    issues.push({
      path: [...path, 'value'],
      message: 'a button value must be an object (it comes back in the click)',
    });
  }
}

function checkText(text: unknown, path: (string | number)[], issues: CardIssue[]): void {
  const t = obj(text);
  if (!t) {
    issues.push({ path, message: 'a text must be an object {tag: plain_text | lark_md, content}' });
    return;
  }
  if (typeof t.tag !== 'string' || !TEXT_TAGS.has(t.tag)) {
    issues.push({ path: [...path, 'tag'], message: 'a text tag is plain_text or lark_md' });
  }
  if (typeof t.content !== 'string') {
    issues.push({
      path: [...path, 'content'],
      message: `text content must be a string, got ${describe(t.content)}`,
    });
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
