/**
 * `autopilot check` on message actions and their card files: every problem at its file, line
 * and column — the rule's for the action, the card file's for what is wrong inside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autopilot } from '../examples/run-autopilot.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'autopilot-cards-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const rule = (message: string) => `id: page
on: { event: work_item.created }
do:
  - message:
${message}
`;

async function check(files: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  const cwd = tree(files);
  const out = await autopilot(['check', 'rules'], cwd);
  return {
    code: out.code,
    lines: (out.stdout + out.stderr).split('\n').filter((l) => l.startsWith('rules/')),
  };
}

describe('autopilot check: message actions and card files', () => {
  it('accepts a valid card file and a built-in card', async () => {
    const card = JSON.stringify({
      config: { update_multi: true },
      elements: [{ tag: 'markdown', content: '{{work_item.name}}' }],
    });
    const out = await check({
      'rules/page.yaml': rule('      to: oc_x\n      card_file: cards/p0.json'),
      'rules/cards/p0.json': card,
      'rules/other.yaml': rule(
        "      to: oc_x\n      card: { title: 'P0 {{work_item.name}}', color: red, buttons: [{ text: Take, action: take }] }",
      ).replace('id: page', 'id: other'),
    });
    expect(out).toEqual({ code: 0, lines: [] });
  });

  it('points at the rule for a missing body, two bodies, a missing card file or a path outside the rules', async () => {
    const out = await check({
      'rules/a.yaml': rule('      to: oc_x').replace('id: page', 'id: a'),
      'rules/b.yaml': rule('      to: oc_x\n      text: hi\n      card: { title: x }').replace(
        'id: page',
        'id: b',
      ),
      'rules/c.yaml': rule('      to: oc_x\n      card_file: cards/none.json').replace('id: page', 'id: c'),
      'rules/d.yaml': rule('      to: oc_x\n      card_file: ../secret.json').replace('id: page', 'id: d'),
      'rules/e.yaml': rule('      to: oc_x\n      card: { title: x, color: pink }').replace(
        'id: page',
        'id: e',
      ),
    });
    expect(out.code).toBe(1);
    expect(out.lines).toEqual([
      "rules/a.yaml:4:5: 'message' needs a body: text, card or card_file",
      "rules/b.yaml:4:5: 'message' takes one body, got text and card: keep one",
      "rules/c.yaml:6:18: card_file 'cards/none.json' cannot be read (rules/cards/none.json): no such file",
      "rules/d.yaml:6:18: card_file '../secret.json' must be a path inside the rules directory, relative to this rule file",
      "rules/e.yaml:6:32: invalid value 'pink': must be one of blue, wathet, turquoise, green, yellow, orange, red, carmine, violet, purple, indigo, grey",
    ]);
  });

  it('points into the card file for bad JSON, a card Lark would refuse, and a bad template', async () => {
    const out = await check({
      'rules/a.yaml': rule('      to: oc_x\n      card_file: cards/a.json').replace('id: page', 'id: a'),
      'rules/cards/a.json': '{\n  "elements": [\n    { "tag": "div" },\n  ]\n}\n',
      'rules/b.yaml': rule('      to: oc_x\n      card_file: cards/b.json').replace('id: page', 'id: b'),
      'rules/cards/b.json':
        '{\n  "header": { "template": "pink" },\n  "elements": [\n    { "tag": "div", "text": { "tag": "plain_text" } },\n    { "content": "x" },\n    { "tag": "markdown", "content": "Hi {{work_itm.name}}" }\n  ]\n}\n',
    });
    expect(out.code).toBe(1);
    expect(out.lines).toEqual([
      "rules/cards/a.json:4:3: not valid JSON: Array item expected but got ']'",
      'rules/cards/b.json:2:27: not a valid Lark card: unknown header colour "pink" (Lark has blue, wathet, turquoise, green, yellow, orange, red, carmine, violet, purple, indigo, grey, default)',
      'rules/cards/b.json:4:29: not a valid Lark card: text content must be a string, got nothing',
      'rules/cards/b.json:5:5: not a valid Lark card: every element needs a string `tag`',
      expect.stringMatching(
        /^rules\/cards\/b\.json:6:41: invalid template: \{\{work_itm\.name\}\}: unknown root 'work_itm'/,
      ),
    ]);
  });
});
