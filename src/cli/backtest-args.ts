/** Arguments of `autopilot backtest`, parsed strictly. */
import { AutopilotError, isAutopilotError } from '../errors.ts';
import { parseDuration } from '../rules/duration.ts';
import { parseCliArgs } from './parse-cli-args.ts';

export const BACKTEST_USAGE = `Usage: autopilot backtest --rules <dir> [--baseline <dir>] [--since 7d] [--until <iso>] [--from api]
                          [--json] [--max-new-writes N] [--fail-on-diff] [--data <dir>] [--config <file.yaml>]

Replays history through the rules' match and plan, never writing: what each rule would have done.

  --rules           the rule directory to try
  --baseline        another rule directory (e.g. the main branch's): show runs added, removed, changed
  --since           how far back (duration: 7d, 36h, 1w; default 7d)
  --until           the end of the window (ISO 8601 or epoch ms; default now)
  --from api        read the operation records of the spaces the rules name instead of the stored
                    event log (needs FEISHU_BASE_URL, FEISHU_PLUGIN_ID, FEISHU_PLUGIN_SECRET, FEISHU_USER_KEY)
  --json            one JSON object instead of the readable report
  --max-new-writes  exit 1 when the rules would make more than N writes the baseline does not
  --fail-on-diff    exit 1 when any run differs from the baseline's
  --data            the engine's data directory (default: AUTOPILOT_DATA, or .data)
  --config          the engine's config file (for --from api and the engine's user key)
`;

export interface BacktestArgs {
  rules: string;
  baseline?: string;
  sinceMs: number;
  until?: number;
  from: 'log' | 'api';
  json: boolean;
  maxNewWrites?: number;
  failOnDiff: boolean;
  data?: string;
  config?: string;
}

function usage(message: string, usageText = BACKTEST_USAGE): AutopilotError {
  return new AutopilotError('AP_CLI_USAGE', `${message}\n\n${usageText}`);
}

export function parseBacktestArgs(args: string[]): BacktestArgs | 'help' {
  const { values } = parseCliArgs(
    {
      args,
      options: {
        rules: { type: 'string' },
        baseline: { type: 'string' },
        since: { type: 'string', default: '7d' },
        until: { type: 'string' },
        from: { type: 'string', default: 'log' },
        json: { type: 'boolean', default: false },
        'max-new-writes': { type: 'string' },
        'fail-on-diff': { type: 'boolean', default: false },
        data: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    BACKTEST_USAGE,
  );
  if (values.help) return 'help';
  if (!values.rules) throw usage('--rules <dir> is required');
  if (values.from !== 'log' && values.from !== 'api')
    throw usage(`--from must be api or log, got '${values.from}'`);
  if (values['fail-on-diff'] && !values.baseline)
    throw usage('--fail-on-diff compares with a --baseline <dir>');
  const parsed: BacktestArgs = {
    rules: values.rules,
    sinceMs: sinceOf(values.since),
    from: values.from,
    json: values.json,
    failOnDiff: values['fail-on-diff'],
  };
  if (values.baseline) parsed.baseline = values.baseline;
  if (values.until !== undefined) parsed.until = timeOf(values.until, '--until');
  if (values['max-new-writes'] !== undefined) parsed.maxNewWrites = countOf(values['max-new-writes']);
  if (values.data) parsed.data = values.data;
  if (values.config) parsed.config = values.config;
  return parsed;
}

/** `--since` as ms; a bad one is AP_CLI_USAGE followed by the usage of the command that took it. */
export function sinceOf(text: string, usageText = BACKTEST_USAGE): number {
  try {
    const ms = parseDuration(text);
    if (ms <= 0) throw usage(`--since must be longer than 0, got '${text}'`, usageText);
    return ms;
  } catch (error) {
    if (isAutopilotError(error, 'AP_RULE_INVALID')) throw usage(`--since: ${error.message}`, usageText);
    throw error;
  }
}

export function timeOf(text: string, flag: string, usageText = BACKTEST_USAGE): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw usage(`${flag} '${text}' is not an ISO 8601 time or epoch ms`, usageText);
  return ms;
}

function countOf(text: string): number {
  if (!/^\d+$/.test(text)) throw usage(`--max-new-writes must be a whole number ≥ 0, got '${text}'`);
  return Number(text);
}
