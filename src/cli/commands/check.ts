/**
 * `autopilot check [paths...] [--json] [--live | --offline] [--cache file] [--config file] [--secrets]`:
 * validate rule files; exit 0 when all are valid, else 1. With `--live` the rules are also
 * checked against the tenant's metadata (src/meta/), `--offline` against a copy `--cache` saved;
 * with `--secrets`, every `{{secrets.NAME}}` against the secrets this environment sets.
 */
import { resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.ts';
import { AutopilotError } from '../../errors.ts';
import { metaDiagnostics, openTenant, readLiveMeta, referencesOf, wantedBy } from '../../meta/live-check.ts';
import { loadMeta, saveMeta, type MetaSource } from '../../meta/space-meta.ts';
import { unsetSecrets } from '../../rules/check-secrets.ts';
import { byPosition, type RuleDiagnostic } from '../../rules/diagnostic.ts';
import { formatDiagnostic, loadRules } from '../../rules/load-rules.ts';
import type { Rule } from '../../rules/rule.ts';
import { parseCliArgs, refuseLiveWithOffline } from '../parse-cli-args.ts';
import type { CliCommand, CliIo } from '../io.ts';

const USAGE = [
  'usage: autopilot check [paths...] [--json]   (default path: rules/)',
  '       autopilot check [paths...] --live [--cache file] [--config file] [--json]',
  '       autopilot check [paths...] --offline [--cache file] [--json]   (default cache: .autopilot/meta.json)',
  '       autopilot check [paths...] --secrets [--config file] [--json]   (every {{secrets.NAME}} is set here)',
].join('\n');

const DEFAULT_CACHE = '.autopilot/meta.json';

const SOURCE_NAMES: Record<MetaSource, string> = {
  simulator: "the built-in simulator's demo tenant",
  api: 'the Open API',
};

interface MetaCheck {
  source: MetaSource;
  spaces: string[];
}

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  refuseLiveWithOffline(values, USAGE);
  if (values.cache !== undefined && !values.live && !values.offline)
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `--cache goes with --live (to save) or --offline (to read)\n${USAGE}`,
    );
  const paths = positionals.length > 0 ? positionals : ['rules'];
  const { rules, diagnostics } = await loadRules(paths, { cwd: io.cwd });
  if (rules.length === 0 && diagnostics.length === 0) {
    diagnostics.push({
      file: paths.join(', '),
      line: 1,
      column: 1,
      code: 'AP_RULE_FILE',
      message: 'no rule files (*.yaml, *.yml) found',
    });
  }
  if (values.secrets) {
    diagnostics.push(...unsetSecrets(rules, secretsSet(values.config, io)));
    diagnostics.sort(byPosition);
  }
  let checked: MetaCheck | undefined;
  if (values.live || values.offline) {
    const found = await checkAgainstTenant(rules, values, io);
    diagnostics.push(...found.diagnostics);
    diagnostics.sort(byPosition);
    checked = found.checked;
  }
  const ok = diagnostics.length === 0;
  if (values.json) {
    const live = checked && { source: checked.source, spaces: checked.spaces };
    io.stdout.write(
      `${JSON.stringify({ ok, rules: rules.map((r) => r.id), diagnostics, ...(live && { live }) }, null, 2)}\n`,
    );
  } else if (ok) {
    const disabled = rules.filter((r) => !r.enabled).length;
    const note = disabled > 0 ? ` (${disabled} disabled)` : '';
    const against = checked ? `, checked against ${describe(checked)}` : '';
    io.stdout.write(`ok: ${rules.length} rule${rules.length === 1 ? '' : 's'} valid${note}${against}\n`);
  } else {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    const files = new Set(diagnostics.map((d) => d.file)).size;
    const against = checked ? ` (checked against ${describe(checked)})` : '';
    io.stderr.write(
      `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}${against}\n`,
    );
  }
  return ok ? 0 : 1;
};

async function checkAgainstTenant(
  rules: readonly Rule[],
  values: ReturnType<typeof readArgs>['values'],
  io: CliIo,
): Promise<{ diagnostics: RuleDiagnostic[]; checked: MetaCheck }> {
  const references = referencesOf(rules);
  const wanted = wantedBy(references);
  const cacheShown = values.cache ?? DEFAULT_CACHE;
  const cacheFile = resolve(io.cwd, cacheShown);
  if (values.offline) {
    const meta = await loadMeta(cacheFile, cacheShown);
    return {
      diagnostics: metaDiagnostics(references, meta, cacheShown),
      checked: { source: meta.source, spaces: wanted.spaces },
    };
  }
  const file = values.config === undefined ? undefined : resolve(io.cwd, values.config);
  // Reading metadata needs the credentials, not the webhook token the engine needs beside them.
  const config = loadConfig({ env: io.env, file, requireWebhookTokens: false });
  const tenant = await openTenant(config);
  try {
    const meta = await readLiveMeta(tenant, wanted);
    if (values.cache !== undefined) await saveMeta(cacheFile, meta);
    return {
      diagnostics: metaDiagnostics(references, meta),
      checked: { source: meta.source, spaces: wanted.spaces },
    };
  } finally {
    await tenant.close();
  }
}

/** The names of the secrets the engine would have with this environment (and config file). */
function secretsSet(configFile: string | undefined, io: CliIo): Set<string> {
  const file = configFile === undefined ? undefined : resolve(io.cwd, configFile);
  const config = loadConfig({ env: io.env, file, requireWebhookTokens: false });
  return new Set(Object.keys(config.secrets));
}

function describe(checked: MetaCheck): string {
  const spaces =
    checked.spaces.length === 0
      ? 'no space (the rules name none)'
      : `space${checked.spaces.length === 1 ? '' : 's'} ${checked.spaces.join(', ')}`;
  return `${SOURCE_NAMES[checked.source]}: ${spaces}`;
}

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        live: { type: 'boolean', default: false },
        offline: { type: 'boolean', default: false },
        cache: { type: 'string' },
        config: { type: 'string' },
        secrets: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
}
