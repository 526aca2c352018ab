/** The README is the user's first contact: its reference tables must name everything the code has. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../src/actions/catalogue.ts';
import { EXIT } from '../src/cli/run-cli.ts';
import { ENV_BINDINGS } from '../src/config/env-map.ts';
import { ERROR_CATALOGUE } from '../src/errors.ts';
import { WORK_ITEM_EVENT_TYPES } from '../src/events/event.ts';
import { OPERATOR_NAMES } from '../src/match/operator-names.ts';
import { FORMATTER_NAMES } from '../src/templates/parse.ts';
import { engineMetricNames } from './support/metric-names.ts';
import { dataRoutes } from '../src/dashboard/data-routes.ts';
import { CONFIG_SCHEMA } from '../src/config/config-schema.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`## ${title}`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
};

describe('README', () => {
  it('shows the quick start commands', () => {
    expect(section('Quick start')).toContain('npm ci');
    expect(section('Quick start')).toContain('npm test');
  });

  it('has a row for every error code, with the catalogue status', () => {
    const table = section('Error codes');
    for (const [code, spec] of Object.entries(ERROR_CATALOGUE)) {
      const row = table.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      const status = 'status' in spec ? String(spec.status) : '';
      expect(row?.split('|')[2]?.trim(), `${code} status`).toBe(status);
      expect(row?.split('|')[3]?.trim(), `${code} retryable`).toBe(spec.retryable ? 'yes' : 'no');
    }
    const documented = [...table.matchAll(/^\| `(AP_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.filter((code) => !((code as string) in ERROR_CATALOGUE))).toEqual([]);
  });

  it('documents every environment variable', () => {
    const table = section('Configuration');
    for (const name of Object.keys(ENV_BINDINGS)) expect(table, name).toContain(`| \`${name}\` |`);
  });

  it('documents every action, operator, formatter and event type', () => {
    const rules = section('Rule reference');
    for (const action of ACTION_NAMES) expect(rules, action).toContain(`| \`${action}\` |`);
    for (const operator of OPERATOR_NAMES) expect(rules, operator).toContain(`\`${operator}\``);
    for (const formatter of FORMATTER_NAMES) expect(rules, formatter).toContain(`\`${formatter}`);
    for (const type of WORK_ITEM_EVENT_TYPES) expect(rules, type).toContain(`\`${type}\``);
  });

  it('has a metrics table row for every autopilot_ metric the engine registers, and none more', async () => {
    const names = await engineMetricNames();
    const own = names.filter((name) => name.startsWith('autopilot_'));
    expect(own.length).toBeGreaterThan(10);
    const operations = section('Operations');
    const documented = [...operations.matchAll(/^\| `(autopilot_[a-z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...own].sort());
    // The default Node metrics the README names are real ones, under their standard names.
    const named = [...operations.matchAll(/`((?:process|nodejs)_[a-z_0-9]+)`/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(3);
    for (const name of named) expect(names, name).toContain(name);
  });

  it('lists every CLI exit code, and no other', () => {
    const table = section('Command line');
    const documented = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(EXIT));
  });

  it('lists every dashboard data route in the admin API table', () => {
    const router = dataRoutes({} as never, 'readme') as unknown as {
      stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
    };
    const table = section('Operations');
    let checked = 0;
    for (const layer of router.stack) {
      if (!layer.route) continue;
      checked += 1;
      const method = Object.keys(layer.route.methods)[0]?.toUpperCase();
      if (layer.route.path === '/rules') continue; // /api/rules is the admin API's own, listed above
      expect(table, `${method} /api${layer.route.path}`).toMatch(
        new RegExp(`\\| \`${method} /api${layer.route.path.replace(/[?]/g, '\\?')}[?\`]`),
      );
    }
    expect(checked).toBeGreaterThan(8);
  });

  it('names every dashboard setting with its default', () => {
    const settings = (
      CONFIG_SCHEMA.properties.dashboard as { properties: Record<string, { default: unknown }> }
    ).properties;
    for (const [key, spec] of Object.entries(settings)) {
      expect(section('Configuration')).toContain(`\`dashboard.${key}\` (${String(spec.default)}`);
    }
  });
});
