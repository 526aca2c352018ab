/** `autopilot check` on the related and parent facts: where they may be read, and the path `related` needs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autopilot } from './run-autopilot.ts';

function rulesDir(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'linked-check-'));
  writeFileSync(join(dir, 'linked.yaml'), yaml);
  return dir;
}

const head = `id: linked
on: { event: work_item.updated }
`;

describe('autopilot check: related and parent', () => {
  it('passes the shipped rules that read them', async () => {
    const { code, stderr } = await autopilot([
      'check',
      'rules/guard-p0-parent.yaml',
      'rules/wait-for-platform-work.yaml',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('refuses related without a relation rule in its path, with file:line:column', async () => {
    const dir = rulesDir(
      `${head}when:\n  all:\n    - { fact: related, path: state, operator: equal, value: doing }\ndo:\n  - comment: { text: hi }\n`,
    );
    const { code, stderr } = await autopilot(['check', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/linked\.yaml:5:\d+.*'related' needs a path <relation rule>/);
  });

  it('refuses parent in a template and in a step condition', async () => {
    const dir = rulesDir(
      `${head}do:\n  - comment: { text: 'parent {{parent.name}}' }\n  - comment: { text: hi }\n    when: { fact: parent, path: state, operator: equal, value: done }\n`,
    );
    const { code, stderr } = await autopilot(['check', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/'parent' is a fact of the rule's when only/);
    expect(stderr).toMatch(/the 'parent' fact exists only in the rule's when/);
  });
});
