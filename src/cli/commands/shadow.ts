/**
 * `autopilot shadow <rule-id> [--since 7d] [--until <iso>] [--json] [--data dir]`: what a rule in
 * `mode: shadow` would have done, from the audit (each shadow run's planned actions with their
 * params), in the backtest's format.
 */
import { buildReport, reportJson, reportText } from '../../backtest/report.ts';
import type { Replay, ReplayedAction, ReplayedRun } from '../../backtest/replay.ts';
import { AutopilotError } from '../../errors.ts';
import type { AuditRecord, Stores } from '../../store/ports.ts';
import { sinceOf, timeOf } from '../backtest-args.ts';
import type { CliCommand } from '../io.ts';
import { parseCliArgs } from '../parse-cli-args.ts';
import { withStores } from './data-stores.ts';

const USAGE = `Usage: autopilot shadow <rule-id> [--since 7d] [--until <iso>] [--json] [--data <dir>]

What a shadow-mode rule would have done, from the audit, in the format of autopilot backtest.
`;

/** Audit records are read this many at a time. */
const PAGE = 1000;

export const command: CliCommand = async (args, io) => {
  const { values, positionals } = parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        since: { type: 'string', default: '7d' },
        until: { type: 'string' },
        json: { type: 'boolean', default: false },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [ruleId, ...extra] = positionals;
  if (!ruleId || extra.length > 0)
    throw new AutopilotError('AP_CLI_USAGE', `one rule id is needed\n\n${USAGE}`);
  const until = values.until === undefined ? Date.now() : timeOf(values.until, '--until', USAGE);
  const since = until - sinceOf(values.since, USAGE);
  const { replay, mode } = await withStores(values.data, io, (stores) =>
    shadowRuns(stores, ruleId, since, until),
  );
  const report = buildReport({
    source: 'audit',
    replay,
    occurredAt: replay.runs.map((r) => r.occurredAt),
    rules: [{ id: ruleId, mode }],
  });
  io.stdout.write(values.json ? reportJson(report) : reportText(report));
  return 0;
};

async function shadowRuns(
  stores: Stores,
  ruleId: string,
  since: number,
  until: number,
): Promise<{ replay: Replay; mode: 'live' | 'shadow' }> {
  const records = await allRecords(stores, ruleId, since, until);
  const shadow = records.filter((r) => r.kind === 'run.shadow');
  const replay: Replay = {
    events: new Set(shadow.map((r) => r.eventId)).size,
    runs: [],
    undecided: [],
    errors: [],
  };
  for (const record of shadow) replay.runs.push(await runOf(stores, record, ruleId));
  for (const record of records.filter((r) => r.kind === 'rule.error')) {
    const detail = (record.detail ?? {}) as {
      code?: string;
      message?: string;
      error?: { code?: string; message?: string };
    };
    replay.errors.push({
      ruleId,
      eventId: record.eventId ?? '',
      code: detail.error?.code ?? detail.code ?? 'AP_INTERNAL',
      message: detail.error?.message ?? detail.message ?? '',
    });
  }
  const live = records.some(
    (r) => r.kind === 'run.planned' && (r.detail as { mode?: string })?.mode === 'live',
  );
  return { replay, mode: live && shadow.length === 0 ? 'live' : 'shadow' };
}

async function allRecords(
  stores: Stores,
  ruleId: string,
  since: number,
  until: number,
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let from = since; ;) {
    const page = await stores.audit.query({
      ruleId,
      since: from,
      until,
      limit: PAGE,
      kind: ['run.shadow', 'rule.error', 'run.planned'],
    });
    out.push(...page);
    if (page.length < PAGE) return out;
    // Records sharing the last page's time are read again and dropped: pages never lose one.
    const last = page.at(-1)?.at ?? until;
    if (last === from) return out;
    from = last;
    while (out.length > 0 && out.at(-1)?.at === last) out.pop();
  }
}

/** A shadow run as the backtest shows runs: the event's type and time from the event log when it is still there. */
async function runOf(stores: Stores, record: AuditRecord, ruleId: string): Promise<ReplayedRun> {
  const stored = record.eventId ? await stores.events.get(record.eventId) : undefined;
  const detail = (record.detail ?? {}) as { planned?: ReplayedAction[]; actions?: string[] };
  const actions =
    detail.planned ?? (detail.actions ?? []).map((type, index) => ({ index, type, params: {}, writes: 1 }));
  return {
    ruleId,
    eventId: record.eventId ?? '',
    eventType: stored?.event.type ?? '-',
    occurredAt: stored?.event.occurredAt ?? record.at,
    workItem: record.workItem ?? '',
    mode: 'shadow',
    actions,
    writes: actions.reduce((n, a) => n + a.writes, 0),
  };
}
