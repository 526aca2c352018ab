import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadRules } from '../../src/rules/load-rules.ts';
import { withTempDir, yaml } from './helpers.ts';

const rule = (id: string) =>
  yaml(`id: ${id}`, 'on: { event: work_item.created }', 'do: [{ comment: { text: hi } }]');

describe('loadRules', () => {
  it('reads every *.yaml / *.yml below a directory, skipping dot directories and other files', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'team-a'));
      await mkdir(join(dir, '.git'));
      await writeFile(join(dir, 'one.yaml'), rule('one'));
      await writeFile(join(dir, 'team-a', 'two.yml'), rule('two'));
      await writeFile(join(dir, '.git', 'three.yaml'), rule('three'));
      await writeFile(join(dir, 'README.md'), '# not a rule');
      const { rules, diagnostics } = await loadRules(['.'], { cwd: dir });
      expect(diagnostics).toEqual([]);
      expect(rules.map((r) => [r.id, r.source.file])).toEqual([
        ['one', 'one.yaml'],
        ['two', join('team-a', 'two.yml')],
      ]);
    });
  });

  it('reports a duplicate id at the later file, naming the first', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'a'));
      await mkdir(join(dir, 'b'));
      await writeFile(join(dir, 'a', 'same.yaml'), rule('same'));
      await writeFile(join(dir, 'b', 'same.yaml'), '# comment first\n' + rule('same'));
      const { rules, diagnostics } = await loadRules(['a', 'b'], { cwd: dir });
      expect(rules).toHaveLength(1);
      expect(diagnostics.map(formatDiagnostic)).toEqual([
        `${join('b', 'same.yaml')}:2:5: duplicate rule id 'same' (first defined at ${join('a', 'same.yaml')}:1:5)`,
      ]);
      expect(diagnostics[0]?.code).toBe('AP_RULE_DUPLICATE_ID');
    });
  });

  it('reports missing paths and refuses huge files without reading them', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'huge.yaml'), Buffer.alloc(1024 * 1024 + 1, 0x5b));
      const { rules, diagnostics } = await loadRules(['nope', 'huge.yaml', 'nope.yaml'], { cwd: dir });
      expect(rules).toEqual([]);
      expect(diagnostics.map(formatDiagnostic)).toEqual([
        'nope:1:1: cannot read rules: no such file or directory',
        'nope.yaml:1:1: cannot read rules: no such file or directory',
        'huge.yaml:1:1: file is 1048577 bytes; rule files over 1048576 bytes (1 MiB) are refused',
      ]);
      expect(diagnostics.map((d) => d.code)).toEqual(['AP_RULE_FILE', 'AP_RULE_FILE', 'AP_RULE_UNSAFE']);
    });
  });

  it('keeps valid rules and reports every problem of the broken fixture at once', async () => {
    const { rules, diagnostics } = await loadRules(['test/fixtures/rules']);
    expect(rules.map((r) => r.id)).toEqual(['escalate-p0-bugs', 'move-command']);
    const file = join('test', 'fixtures', 'rules', 'broken', 'bad-everything.yaml');
    expect(diagnostics.every((d) => d.file === file)).toBe(true);
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual([
      '2:5 AP_RULE_INVALID', // id is not the file name
      '3:7 AP_RULE_SCHEMA', // mode: dry-run
      '5:21 AP_RULE_INVALID', // cron hour 25
      '5:45 AP_RULE_INVALID', // time zone
      '8:48 AP_RULE_SCHEMA', // operator like
      '9:64 AP_RULE_INVALID', // backreference
      '10:72 AP_RULE_INVALID', // duration "3 days"
      '12:5 AP_RULE_SCHEMA', // action coment
      '13:5 AP_RULE_INVALID', // comment without a work item
      '13:23 AP_TEMPLATE_INVALID', // {{ item.name }}
      '13:39 AP_TEMPLATE_INVALID', // {{ steps.later.id }}
      '14:5 AP_RULE_INVALID', // reply outside on.command
    ]);
  });
});
