import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { captureStream, withTempDir, yaml } from './helpers.ts';

async function check(args: string[], cwd = process.cwd()) {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await runCli(['check', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {},
    cwd,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('autopilot check', () => {
  it('exits 0 with a one-line summary when every rule is valid', async () => {
    const result = await check(['test/fixtures/rules/valid']);
    expect(result).toEqual({ code: 0, stdout: 'ok: 2 rules valid\n', stderr: '' });
  });

  it('exits 1 and prints every problem as file:line:column: message', async () => {
    const result = await check(['test/fixtures/rules']);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    const file = join('test', 'fixtures', 'rules', 'broken', 'bad-everything.yaml');
    expect(lines[0]).toBe(
      `${file}:2:5: id 'not-the-file-name' must equal the file name 'bad-everything' (rename the file or the id)`,
    );
    expect(lines).toContain(`${file}:3:7: invalid value 'dry-run': must be one of live, shadow`);
    expect(lines.at(-1)).toBe('12 problems in 1 file');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reads ./rules by default and reports JSON with --json', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'rules'));
      await writeFile(
        join(dir, 'rules', 'ok.yaml'),
        yaml('id: ok', 'on: { event: node.reached }', 'enabled: false', 'do: [{ comment: { text: hi } }]'),
      );
      await writeFile(
        join(dir, 'rules', 'bad.yaml'),
        yaml('id: bad', 'on: { event: node.reached }', 'do: [{ comment: { text: 5 } }]'),
      );
      const result = await check(['--json'], dir);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({
        ok: false,
        rules: ['ok'],
        diagnostics: [
          {
            file: join('rules', 'bad.yaml'),
            line: 3,
            column: 25,
            code: 'AP_RULE_SCHEMA',
            message: 'expected a string, got a number 5',
          },
        ],
      });
      await writeFile(
        join(dir, 'rules', 'bad.yaml'),
        yaml('id: bad', 'on: { event: node.reached }', 'do: [{ comment: { text: "5" } }]'),
      );
      expect(await check([], dir)).toEqual({
        code: 0,
        stdout: 'ok: 2 rules valid (1 disabled)\n',
        stderr: '',
      });
      expect(JSON.parse((await check(['--json'], dir)).stdout)).toEqual({
        ok: true,
        rules: ['bad', 'ok'],
        diagnostics: [],
      });
    });
  });

  it('exits 1 for missing paths and empty directories, 2 for bad options, each with a clear message', async () => {
    await withTempDir(async (dir) => {
      expect(await check(['missing'], dir)).toEqual({
        code: 1,
        stdout: '',
        stderr: 'missing:1:1: cannot read rules: no such file or directory\n1 problem in 1 file\n',
      });
      await mkdir(join(dir, 'empty'));
      expect((await check(['empty'], dir)).stderr).toBe(
        'empty:1:1: no rule files (*.yaml, *.yml) found\n1 problem in 1 file\n',
      );
      const bad = await check(['--bogus'], dir);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^autopilot check: AP_CLI_USAGE: Unknown option '--bogus'/);
    });
  });

  it('survives malformed YAML, alias bombs and huge files without a stack trace', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broken.yaml'), 'id: broken\non: [event: x\n');
      await writeFile(
        join(dir, 'bomb.yaml'),
        yaml(
          'a: &a [x, x, x, x, x, x, x, x, x, x]',
          'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
          'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
        ),
      );
      await writeFile(join(dir, 'huge.yaml'), 'x'.repeat(2 * 1024 * 1024));
      const result = await check(['.'], dir);
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')).toEqual([
        'bomb.yaml:2:12: more than 100 alias expansions (*name); refused as a possible alias bomb',
        expect.stringMatching(/^broken\.yaml:\d+:\d+: YAML: /),
        'huge.yaml:1:1: file is 2097152 bytes; rule files over 1048576 bytes (1 MiB) are refused',
        '3 problems in 3 files',
        '',
      ]);
    });
  });
});
