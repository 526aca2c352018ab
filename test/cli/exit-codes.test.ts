/** One meaning per exit code: 0 done, 1 invalid input or a failed command, 2 a wrong command line. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../audit/support-cli.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const CWD = new URL('../../', import.meta.url).pathname;

describe('autopilot exit codes', () => {
  it('--version and version print the version and exit 0', async () => {
    for (const argv of [['--version'], ['version']]) {
      expect(await cli(argv, CWD)).toEqual({
        code: 0,
        out: `fp-autopilot ${VERSION} (node ${process.versions.node})\n`,
        err: '',
      });
    }
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const help = await cli(['--help'], CWD);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('Usage: autopilot <command>');
  });

  it('exits 2 with the usage on stderr without a command, or with an unknown one', async () => {
    const none = await cli([], CWD);
    expect(none).toMatchObject({ code: 2, out: '' });
    expect(none.err).toContain('autopilot: a command is needed');
    expect(none.err).toContain('Usage: autopilot <command>');
    const unknown = await cli(['chekc'], CWD);
    expect(unknown).toMatchObject({ code: 2, out: '' });
    expect(unknown.err).toContain("autopilot: unknown command 'chekc'");
  });

  it('exits 2 for a wrong option or argument of any command', async () => {
    for (const argv of [
      ['check', '--bogus'],
      ['serve', 'extra'],
      ['runs', '--state', 'sleeping'],
      ['trace'],
      ['dlq', 'shuffle'],
      ['sim', '--port', '70000'],
      ['test'],
    ]) {
      const result = await cli(argv, CWD);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err, argv.join(' ')).toContain('AP_CLI_USAGE');
      expect(result.err).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 1 for invalid rules and for invalid configuration', async () => {
    const rules = await cli(['check', 'test/fixtures/rules'], CWD);
    expect(rules.code).toBe(1);
    expect(rules.err).toMatch(/^test\/fixtures\/rules\/\S+:\d+:\d+: /m);
    const config = await cli(['serve'], CWD, { PORT: 'eighty' });
    expect(config).toMatchObject({ code: 1 });
    expect(config.err).toContain(
      "AP_CONFIG_INVALID: invalid configuration:\n  - PORT must be a whole number, got 'eighty'",
    );
  });
});
