import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autopilot, REPO_ROOT } from './run-autopilot.ts';

const RULES = join(REPO_ROOT, 'rules');
const files = readdirSync(RULES).filter((f) => f.endsWith('.yaml'));

describe('the example rules in rules/', () => {
  it('all pass `autopilot check rules/`', async () => {
    const { code, stdout, stderr } = await autopilot(['check', 'rules/', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { ok: boolean; rules: string[] };
    expect(result.ok).toBe(true);
    expect(result.rules).toHaveLength(files.length);
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s points editors at the schema and is named for its id', (file) => {
    const text = readFileSync(join(RULES, file), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/rule.schema.json');
    expect(text).toMatch(new RegExp(`^id: ${file.replace(/\.yaml$/, '')}$`, 'm'));
  });

  it('has a test of its own for every rule', () => {
    const tests = new Set(readdirSync(join(REPO_ROOT, 'test/examples')));
    for (const file of files) expect(tests).toContain(file.replace(/\.yaml$/, '.test.ts'));
  });
});
