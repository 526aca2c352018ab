/** AUTOPILOT_SECRET_<NAME> (#12.8): loaded, validated, and never in a problem's text. */
import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig } from '../../src/config/load-config.ts';
import { isAutopilotError } from '../../src/errors.ts';

const VALUE = 'secret-value-7c1d';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isAutopilotError(error, 'AP_CONFIG_INVALID')) {
      expect(error.message).not.toContain(VALUE);
      return error.details?.problems as string[];
    }
    throw error;
  }
  throw new Error('expected a configuration error');
}

const readFile = (path: string) => {
  if (path === '/run/secrets/token') return `${VALUE}\n`;
  throw Object.assign(new Error('missing'), { code: 'ENOENT' });
};

describe('rule secrets in the configuration', () => {
  it('reads AUTOPILOT_SECRET_<NAME> and <NAME>_FILE, and the file of the config', () => {
    const config = loadConfig({
      env: {
        AUTOPILOT_SECRET_API_KEY: VALUE,
        AUTOPILOT_SECRET_DEPLOY_TOKEN_FILE: '/run/secrets/token',
        AUTOPILOT_CONFIG: '/etc/autopilot.yaml',
      },
      readFile: (path) =>
        path === '/etc/autopilot.yaml' ? 'secrets:\n  FROM_FILE: plain-text-secret\n' : readFile(path),
    });
    expect(config.secrets).toEqual({ API_KEY: VALUE, DEPLOY_TOKEN: VALUE, FROM_FILE: 'plain-text-secret' });
    expect(Object.isFrozen(config.secrets)).toBe(true);
    expect(configSecrets(config)).toContain(VALUE);
    expect(loadConfig({ env: {} }).secrets).toEqual({});
  });

  it('refuses names that are not upper case, short values and both forms at once, naming the variable', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          AUTOPILOT_SECRET_lower: VALUE,
          AUTOPILOT_SECRET_1ST: VALUE,
          AUTOPILOT_SECRET_SHORT: 'abc',
          AUTOPILOT_SECRET_BOTH: VALUE,
          AUTOPILOT_SECRET_BOTH_FILE: '/run/secrets/token',
          AUTOPILOT_SECRET_GONE_FILE: '/run/secrets/none',
        },
        readFile,
      }),
    );
    expect(problems).toEqual([
      "AUTOPILOT_SECRET_1ST: a secret's name is upper-case letters, digits and _, starting with a letter (at most 64)",
      'AUTOPILOT_SECRET_BOTH and AUTOPILOT_SECRET_BOTH_FILE are both set; set one',
      'AUTOPILOT_SECRET_GONE_FILE: cannot read /run/secrets/none (ENOENT)',
      'AUTOPILOT_SECRET_SHORT: a secret must be at least 4 characters',
      "AUTOPILOT_SECRET_lower: a secret's name is upper-case letters, digits and _, starting with a letter (at most 64)",
    ]);
  });

  it('refuses a lower-case name in the config file', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: {}, file: '/c.yaml', readFile: () => `secrets:\n  api_key: ${VALUE}\n` }),
    );
    expect(problems).toContain(`secrets: must match pattern "^[A-Z][A-Z0-9_]{0,63}$" ('api_key')`);
  });
});
