/**
 * `autopilot schema`: the rule schema as shipped, and with `--live` / `--offline` the schema of
 * the tenant's spaces, whose enums an editor completes names from. The extended schema still
 * accepts every rule the tenant fits and refuses the names it lacks.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { RULE_SCHEMA_ID } from '../../src/meta/space-schema.ts';
import { autopilot, REPO_ROOT } from '../examples/run-autopilot.ts';

// A JSON Schema document, navigated freely by the assertions below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const tempDir = () => mkdtempSync(join(tmpdir(), 'schema-command-'));
const CJK = /[\u4e00-\u9fff]/;

function validatorOf(schema: Json) {
  const ajv = new Ajv({ strict: true, strictTypes: false, allErrors: true });
  ajv.addKeyword('enumDescriptions');
  ajv.addKeyword('markdownEnumDescriptions');
  return ajv.compile(schema);
}

function rulesUnder(dir: string): Array<[string, unknown]> {
  return readdirSync(join(REPO_ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [`${dir}/${f}`, parse(readFileSync(join(REPO_ROOT, dir, f), 'utf8'))]);
}

async function liveSchema(args: string[] = []): Promise<Json> {
  const out = join(tempDir(), 'rule.schema.json');
  const result = await autopilot(['schema', ...args, '--live', '--out', out]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as Json;
}

describe('autopilot schema', () => {
  it('prints the shipped schema, whose $id is stable', async () => {
    const result = await autopilot(['schema']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Json;
    expect(printed).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'schema/rule.schema.json'), 'utf8')));
    expect(printed.$id).toBe(RULE_SCHEMA_ID);
  });

  it('--live writes the spaces the rules name, with their names as described enums', async () => {
    const out = join(tempDir(), 'nested', 'rule.schema.json');
    const result = await autopilot(['schema', 'test/fixtures/live-rules/clean', '--live', '--out', out]);
    expect(result).toEqual({
      code: 0,
      stdout: `wrote ${out}: spaces demo, platform (2 types, 21 field keys and aliases, 3 states, 4 nodes, 5 roles)\n`,
      stderr: '',
    });
    const schema = JSON.parse(readFileSync(out, 'utf8')) as Json;
    const defs = schema.definitions as Json;
    expect(schema.$id).toBe(`${RULE_SCHEMA_ID}:spaces:demo:platform`);
    expect(defs.space_key.anyOf[0].enum).toEqual(['demo', 'platform']);
    expect(defs.type_key.anyOf[0].enum).toEqual(['story', 'issue']);
    expect(defs.state_key.anyOf[0].enum).toEqual(['open', 'in_progress', 'resolved']);
    expect(defs.node_key.anyOf[0].enum).toEqual(['start', 'doing', 'testing', 'end']);
    expect(defs.role_key.anyOf[0].enum).toEqual(['pm', 'rd', 'qa', 'reporter', 'operator']);
    const fields = defs.fieldMap.properties as Json;
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['priority', 'field_severity', 'severity']));
    expect(fields.severity.anyOf[0].enum).toEqual(['critical', 'major', 'minor']);
    expect(fields.severity.description).toContain('字段「Severity」');
    expect(fields.severity.description).toContain('field "Severity" (select, key field_severity');
    for (const def of ['space_key', 'type_key', 'state_key', 'node_key', 'role_key']) {
      const values = defs[def].anyOf[0];
      expect(values.enumDescriptions).toHaveLength(values.enum.length);
      expect(values.markdownEnumDescriptions).toHaveLength(values.enum.length);
      for (const text of values.enumDescriptions as string[]) {
        expect(text, def).toMatch(CJK);
        expect(text, def).toMatch(/[a-z]{3,}/);
      }
    }
    expect(defs.state_key.anyOf[0].enumDescriptions[0]).toBe(
      '状态「Open」（issue · demo） / state "Open" (issue in demo)',
    );
    const paths = defs.condition.properties.path.anyOf[0].enum as string[];
    expect(paths).toEqual(
      expect.arrayContaining(['fields.priority', 'fields.severity', 'roles.reporter', 'state']),
    );
    expect(defs.roleMap.properties.reporter.description).toContain('角色「Reporter」');
  });

  it('accepts the shipped rules and the rules that fit the tenant, refuses the names it lacks', async () => {
    const schema = await liveSchema(['rules', 'test/fixtures/live-rules/clean']);
    const validate = validatorOf(schema);
    for (const [file, rule] of [...rulesUnder('rules'), ...rulesUnder('test/fixtures/live-rules/clean')])
      expect(validate(rule) ? [] : validate.errors, file).toEqual([]);
    const base = validatorOf(JSON.parse(readFileSync(join(REPO_ROOT, 'schema/rule.schema.json'), 'utf8')));
    const [, wrong] = rulesUnder('test/fixtures/live-rules/mistakes').find(([f]) =>
      f.endsWith('bug-fields.yaml'),
    )!;
    expect(base(wrong)).toBe(true);
    expect(validate(wrong)).toBe(false);
    const refused = new Set((validate.errors ?? []).map((e) => e.instancePath));
    expect(refused).toEqual(
      new Set(['/do/0/update_fields/fields/severity', '/do/1/transition/to', '/do/2/assign/role']),
    );
  });

  it('--live --cache saves the metadata and --offline writes the same schema from it', async () => {
    const dir = tempDir();
    const cache = join(dir, 'meta.json');
    const live = await autopilot(['schema', '--live', '--space', 'demo', '--cache', cache]);
    expect(live.code).toBe(0);
    const offline = await autopilot(['schema', '--offline', '--space', 'demo', '--cache', cache]);
    expect(offline).toEqual(live);
    const missing = await autopilot(['schema', '--offline', '--space', 'platform', '--cache', cache]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`AP_INPUT_FILE: space platform not in the saved metadata ${cache}`);
  });

  it('refuses a space the tenant lacks (exit 1, nothing written) and a wrong command line (exit 2)', async () => {
    const out = join(tempDir(), 'rule.schema.json');
    const unknown = await autopilot(['schema', '--live', '--space', 'nowhere', '--out', out]);
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr: "autopilot schema: AP_META_UNKNOWN_SPACE: no space 'nowhere' in the tenant: nothing written\n",
    });
    expect(() => readFileSync(out)).toThrow();
    for (const args of [
      ['schema', '--live', '--offline'],
      ['schema', '--space', 'demo'],
      ['schema', 'rules'],
      ['schema', '--cache', 'x.json'],
      ['schema', '--live', '--bogus'],
    ]) {
      const result = await autopilot(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('AP_CLI_USAGE');
    }
  });
});

describe('the README on autopilot schema', () => {
  it('shows what schema --live prints for the shipped rules', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const shown = /\$ npx autopilot schema rules\/ --live --out (\S+)\n(.*)\n/.exec(readme);
    expect(shown).not.toBeNull();
    const out = join(tempDir(), 'rule.schema.json');
    const result = await autopilot(['schema', 'rules/', '--live', '--out', out]);
    expect(result.stdout).toBe(`${shown![2]!.replace(shown![1]!, out)}\n`);
  });
});
