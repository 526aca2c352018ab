/**
 * `autopilot backtest`: what the rules would have done over a past window, never writing. The
 * history is the stored event log, or (`--from api`) the operation records of the spaces the
 * rules name; work items are rebuilt as they were at each event (src/backtest/). With a
 * baseline it says what changes between two rule sets, and exits 1 on the thresholds given,
 * so a pull request that changes rules can be checked in CI.
 */
import { resolve } from 'node:path';
import { compareRuns } from '../../backtest/compare.ts';
import { apiHistory, storedHistory, type History } from '../../backtest/history.ts';
import { itemsAtEvents } from '../../backtest/items-at-events.ts';
import { replay } from '../../backtest/replay.ts';
import { buildReport, reportJson, reportText, type BacktestReport } from '../../backtest/report.ts';
import { loadConfig, usesSimulator } from '../../config/load-config.ts';
import type { Config } from '../../config/config.ts';
import { createLimitedRead } from '../../engine/limited-read.ts';
import { AutopilotError } from '../../errors.ts';
import { createLocalLimiter } from '../../executor/rate-limiter.ts';
import { OpenApiClient } from '../../openapi/client.ts';
import { pacedRead } from '../../reconcile/paced-read.ts';
import { scopeOf } from '../../reconcile/reconcile-scope.ts';
import { OP_RECORDS_SINCE } from '../../records/op-record.ts';
import { formatDiagnostic, loadRules } from '../../rules/load-rules.ts';
import type { Rule } from '../../rules/rule.ts';
import { DEMO } from '../../simulator/model/seed-config.ts';
import { BACKTEST_USAGE, parseBacktestArgs, type BacktestArgs } from '../backtest-args.ts';
import type { CliCommand, CliIo } from '../io.ts';
import { withStores } from './data-stores.ts';

export const command: CliCommand = async (args, io) => {
  const parsed = parseBacktestArgs(args);
  if (parsed === 'help') {
    io.stdout.write(BACKTEST_USAGE);
    return 0;
  }
  const rules = await rulesOf(parsed.rules, io, '--rules');
  const baseline = parsed.baseline ? await rulesOf(parsed.baseline, io, '--baseline') : undefined;
  if (rules === undefined || (parsed.baseline && baseline === undefined)) return 1;
  // Reading history needs the credentials, not the webhook token the engine needs beside them.
  const file = parsed.config === undefined ? undefined : resolve(io.cwd, parsed.config);
  const config = loadConfig({ env: io.env, file, requireWebhookTokens: false });
  const until = parsed.until ?? Date.now();
  const since = until - parsed.sinceMs;
  const history = await historyOf(parsed, config, [...rules, ...(baseline ?? [])], since, until, io);
  const report = await backtest(history, {
    rules,
    baseline,
    baselineDir: parsed.baseline,
    since,
    until,
    config,
    from: parsed.from,
  });
  io.stdout.write(parsed.json ? reportJson(report) : reportText(report));
  return verdict(report, parsed, io);
};

async function rulesOf(dir: string, io: CliIo, flag: string): Promise<Rule[] | undefined> {
  const { rules, diagnostics } = await loadRules([dir], { cwd: io.cwd });
  if (diagnostics.length > 0) {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    io.stderr.write(
      `autopilot backtest: ${diagnostics.length} problem(s) in ${flag} ${dir}; fix them first\n`,
    );
    return undefined;
  }
  if (rules.length === 0)
    throw new AutopilotError('AP_RULE_FILE', `no rule files (*.yaml, *.yml) in ${flag} ${dir}`);
  return rules;
}

async function historyOf(
  args: BacktestArgs,
  config: Readonly<Config>,
  rules: readonly Rule[],
  since: number,
  until: number,
  io: CliIo,
): Promise<History> {
  if (args.from === 'log') {
    const data = args.data ?? io.env.AUTOPILOT_DATA ?? config.dataDir;
    return withStores(resolve(io.cwd, data), io, (stores) => storedHistory(stores.events, since, until));
  }
  if (usesSimulator(config) || !config.feishu.baseUrl)
    throw new AutopilotError(
      'AP_CONFIG_INVALID',
      '--from api reads the real tenant: set FEISHU_BASE_URL, FEISHU_PLUGIN_ID, FEISHU_PLUGIN_SECRET and FEISHU_USER_KEY',
    );
  if (since < OP_RECORDS_SINCE)
    throw new AutopilotError(
      'AP_RECORD_TOO_OLD',
      `--since reaches ${new Date(since).toISOString()}; the API keeps operation records from 2024-07-02 only`,
    );
  const scope = scopeOf(rules, config.reconcile.spaces);
  if (scope.length === 0)
    throw new AutopilotError(
      'AP_CLI_USAGE',
      'the rules name no space (on.project) to read: name one, or list spaces in reconcile.spaces',
    );
  const api = new OpenApiClient({
    baseUrl: config.feishu.baseUrl,
    pluginId: config.feishu.pluginId as string,
    pluginSecret: config.feishu.pluginSecret as string,
    userKey: config.feishu.userKey as string,
  });
  try {
    const limited = createLimitedRead({ api, limiter: createLocalLimiter(), now: Date.now });
    const read = pacedRead(limited, { perSecond: config.reconcile.maxRequestsPerSecond, now: Date.now });
    // Records up to now, so changes after the window are undone too when rebuilding the items.
    const engine = { userKey: config.feishu.userKey, pluginId: config.feishu.pluginId };
    return await apiHistory({ read, scope, since, until: Math.max(until, Date.now()), engine });
  } finally {
    await api.close();
  }
}

interface BacktestInput {
  rules: Rule[];
  baseline?: Rule[];
  baselineDir?: string;
  since: number;
  until: number;
  config: Readonly<Config>;
  from: 'log' | 'api';
}

export async function backtest(history: History, input: BacktestInput): Promise<BacktestReport> {
  const items = itemsAtEvents(history.events, history.current);
  const window = history.events.filter((e) => e.occurredAt >= input.since && e.occurredAt < input.until);
  const options = { items, engineUserKey: input.config.feishu.userKey ?? DEMO.botUserKey };
  const ours = await replay(window, input.rules, options);
  const base = input.baseline ? await replay(window, input.baseline, options) : undefined;
  return buildReport({
    source: input.from === 'api' ? 'operation records' : 'event log',
    replay: ours,
    occurredAt: window.map((e) => e.occurredAt),
    rules: input.rules,
    skips: history.skips,
    ...(base
      ? { baseline: { dir: input.baselineDir ?? 'baseline', diff: compareRuns(base.runs, ours.runs) } }
      : {}),
  });
}

function verdict(report: BacktestReport, args: BacktestArgs, io: CliIo): number {
  let code = 0;
  if (args.maxNewWrites !== undefined && report.newWrites > args.maxNewWrites) {
    io.stderr.write(
      `autopilot backtest: ${report.newWrites} new write(s), more than --max-new-writes ${args.maxNewWrites}\n`,
    );
    code = 1;
  }
  const diff = report.diff;
  if (args.failOnDiff && diff && diff.added.length + diff.removed.length + diff.changed.length > 0) {
    io.stderr.write(
      `autopilot backtest: the rules differ from ${diff.baseline}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed\n`,
    );
    code = 1;
  }
  return code;
}
