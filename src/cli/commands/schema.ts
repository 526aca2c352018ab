/**
 * `autopilot schema [--out file]`: the rule schema as shipped. With `--live` (or `--offline`
 * from a copy `--cache` saved) it is extended with the names of the spaces the rules name and
 * each `--space`: the schema an editor completes a rules repository's names from
 * (src/meta/space-schema.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { AutopilotError } from '../../errors.ts';
import { openTenant, readLiveMeta, referencesOf, wantedBy } from '../../meta/live-check.ts';
import { loadMeta, saveMeta, type TenantMeta } from '../../meta/space-meta.ts';
import { spaceSchema, spaceValues } from '../../meta/space-schema.ts';
import { loadRules } from '../../rules/load-rules.ts';
import { RULE_SCHEMA } from '../../rules/rule-schema.ts';
import { parseCliArgs, refuseLiveWithOffline } from '../parse-cli-args.ts';
import type { CliCommand, CliIo } from '../io.ts';

const USAGE = [
  'usage: autopilot schema [--out file]   (the rule schema as shipped)',
  '       autopilot schema [paths...] --live [--space key]... [--cache file] [--config file] [--out file]',
  '       autopilot schema [paths...] --offline [--space key]... [--cache file] [--out file]   (default cache: .autopilot/meta.json)',
  '  the spaces: those the rules under paths name (default rules/, when no --space is given), and each --space',
].join('\n');

const DEFAULT_CACHE = '.autopilot/meta.json';

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  refuseLiveWithOffline(values, USAGE);
  const extended = values.live || values.offline;
  if (!extended && (positionals.length > 0 || values.space.length > 0 || values.cache !== undefined))
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `paths, --space and --cache choose the spaces to read: they go with --live or --offline\n${USAGE}`,
    );
  let schema: Record<string, unknown> = RULE_SCHEMA as Record<string, unknown>;
  let summary = 'the rule schema';
  if (extended) {
    const meta = await readMeta(await spacesWanted(positionals, values.space, io), values, io);
    schema = spaceSchema(RULE_SCHEMA, meta);
    summary = describe(meta);
  }
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  if (values.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  const file = resolve(io.cwd, values.out);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  io.stdout.write(`wrote ${values.out}: ${summary}\n`);
  return 0;
};

/** The spaces the rules under `paths` name (default rules/ unless `--space` names some), and `--space`. */
async function spacesWanted(paths: string[], named: string[], io: CliIo): Promise<string[]> {
  const spaces = new Set(named);
  const read = paths.length > 0 ? paths : named.length > 0 ? [] : ['rules'];
  if (read.length > 0) {
    const { rules } = await loadRules(read, { cwd: io.cwd });
    for (const space of wantedBy(referencesOf(rules)).spaces) spaces.add(space);
  }
  if (spaces.size === 0)
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `no space to read: the rules under ${read.join(', ') || '(none)'} name none; name one with --space\n${USAGE}`,
    );
  return [...spaces].sort();
}

async function readMeta(
  spaces: string[],
  values: ReturnType<typeof readArgs>['values'],
  io: CliIo,
): Promise<TenantMeta> {
  const cacheShown = values.cache ?? DEFAULT_CACHE;
  const cacheFile = resolve(io.cwd, cacheShown);
  let meta: TenantMeta;
  if (values.offline) {
    const saved = await loadMeta(cacheFile, cacheShown);
    const missing = spaces.filter((s) => !Object.hasOwn(saved.spaces, s));
    if (missing.length > 0)
      throw new AutopilotError(
        'AP_INPUT_FILE',
        `space${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not in the saved metadata ${cacheShown}: refresh it with 'autopilot schema --live --cache ${cacheShown}'`,
        { file: cacheShown },
      );
    meta = { ...saved, spaces: Object.fromEntries(spaces.map((s) => [s, saved.spaces[s]!])), users: {} };
  } else {
    const file = values.config === undefined ? undefined : resolve(io.cwd, values.config);
    const config = loadConfig({ env: io.env, file, requireWebhookTokens: false });
    const tenant = await openTenant(config);
    try {
      meta = await readLiveMeta(tenant, { spaces, users: [] });
    } finally {
      await tenant.close();
    }
    if (values.cache !== undefined) await saveMeta(cacheFile, meta);
  }
  const unknown = spaces.filter((s) => !meta.spaces[s]?.found);
  if (unknown.length > 0)
    throw new AutopilotError(
      'AP_META_UNKNOWN_SPACE',
      `no space ${unknown.map((s) => `'${s}'`).join(', ')} in the tenant: nothing written`,
    );
  return meta;
}

function describe(meta: TenantMeta): string {
  const values = spaceValues(meta);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return (
    [
      `spaces ${Object.keys(meta.spaces).join(', ')}`,
      `${count(values.types.length, 'type')}, ${values.fields.length} field keys and aliases, ${count(values.states.length, 'state')}, ${count(values.nodes.length, 'node')}, ${count(values.roles.length, 'role')}`,
    ].join(' (') + ')'
  );
}

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        live: { type: 'boolean', default: false },
        offline: { type: 'boolean', default: false },
        space: { type: 'string', multiple: true, default: [] },
        cache: { type: 'string' },
        config: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
}
