/**
 * What `autopilot backtest` and `autopilot shadow` print: per rule, the runs it would have made
 * (each with its actions' rendered params), the events it could not decide for lack of history,
 * its errors; against a baseline, the runs added, removed and changed. The same object is the
 * `--json` output; the text view renders it. Nothing in it depends on when it was made, so two
 * runs over one history print the same bytes.
 */
import type { RecordSkip } from '../records/translate-records.ts';
import type { Rule } from '../rules/rule.ts';
import type { ChangedRun, RunDiff } from './compare.ts';
import type { Replay, ReplayError, ReplayedRun, Undecided } from './replay.ts';

export interface RuleReport {
  ruleId: string;
  file?: string;
  mode: 'live' | 'shadow';
  runs: ReplayedRun[];
  writes: number;
  undecided: Undecided[];
  errors: ReplayError[];
}

export interface BacktestReport {
  /** `event log`, `api` (operation records) or `audit` (shadow runs). */
  source: string;
  events: number;
  /** The span the events cover (ISO), when there are any. */
  span?: { first: string; last: string };
  /** Operation records that made no event, by code. */
  skipped: Array<{ code: string; count: number }>;
  rules: RuleReport[];
  diff?: {
    baseline: string;
    added: ReplayedRun[];
    removed: ReplayedRun[];
    changed: ChangedRun[];
    newWrites: number;
  };
  /** Total writes the rules would make (without a baseline, all of them are new). */
  newWrites: number;
}

export interface ReportInput {
  source: string;
  replay: Replay;
  occurredAt: readonly number[];
  rules: ReadonlyArray<Pick<Rule, 'id' | 'mode'> & { source?: { file: string } }>;
  skips?: readonly RecordSkip[];
  baseline?: { dir: string; diff: RunDiff };
}

const byRunOrder = (a: ReplayedRun | ChangedRun, b: ReplayedRun | ChangedRun) =>
  a.occurredAt - b.occurredAt || cmp(a.eventId, b.eventId) || cmp(a.ruleId, b.ruleId);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildReport(input: ReportInput): BacktestReport {
  const { replay } = input;
  const perRule = [...input.rules]
    .sort((a, b) => cmp(a.id, b.id))
    .map((rule): RuleReport => {
      const runs = replay.runs.filter((r) => r.ruleId === rule.id).sort(byRunOrder);
      return {
        ruleId: rule.id,
        ...(rule.source ? { file: rule.source.file } : {}),
        mode: rule.mode,
        runs,
        writes: runs.reduce((n, r) => n + r.writes, 0),
        undecided: replay.undecided.filter((u) => u.ruleId === rule.id),
        errors: replay.errors.filter((e) => e.ruleId === rule.id),
      };
    });
  const counts = new Map<string, number>();
  for (const skip of input.skips ?? []) counts.set(skip.code, (counts.get(skip.code) ?? 0) + 1);
  const times = [...input.occurredAt].sort((a, b) => a - b);
  const report: BacktestReport = {
    source: input.source,
    events: replay.events,
    ...(times.length > 0 ? { span: { first: iso(times[0]), last: iso(times.at(-1)) } } : {}),
    skipped: [...counts].sort(([a], [b]) => cmp(a, b)).map(([code, count]) => ({ code, count })),
    rules: perRule,
    newWrites: input.baseline ? input.baseline.diff.newWrites : perRule.reduce((n, r) => n + r.writes, 0),
  };
  if (input.baseline) {
    const { diff, dir } = input.baseline;
    report.diff = {
      baseline: dir,
      added: [...diff.added].sort(byRunOrder),
      removed: [...diff.removed].sort(byRunOrder),
      changed: [...diff.changed].sort(byRunOrder),
      newWrites: diff.newWrites,
    };
  }
  return report;
}

export function iso(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : new Date(ms).toISOString();
}

/** JSON with keys in the order the report builds them, one run per block: stable text. */
export function reportJson(report: BacktestReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`;
}

function actionText(run: ReplayedRun): string {
  return run.actions.map((a) => `${a.type} ${JSON.stringify(a.params)}`).join('; ');
}

function runLine(run: ReplayedRun, mark = ' '): string {
  return `  ${mark} ${iso(run.occurredAt)}  ${run.eventType}  ${run.workItem || '-'}  ${actionText(run)}`;
}

export function reportText(report: BacktestReport): string {
  const lines: string[] = [];
  const span = report.span ? ` (${report.span.first} … ${report.span.last})` : '';
  lines.push(`backtest over the ${report.source}: ${report.events} events${span}`);
  for (const skip of report.skipped) lines.push(`  skipped ${skip.count} operation record(s): ${skip.code}`);
  for (const rule of report.rules) {
    const undecided =
      rule.undecided.length > 0 ? `, ${rule.undecided.length} undecided (the history lacks the data)` : '';
    const errors = rule.errors.length > 0 ? `, ${rule.errors.length} error(s)` : '';
    lines.push(
      '',
      `rule ${rule.ruleId}${rule.mode === 'shadow' ? ' (shadow)' : ''}: ${rule.runs.length} run(s), ${rule.writes} write(s)${undecided}${errors}`,
    );
    for (const run of rule.runs) lines.push(runLine(run));
    for (const u of rule.undecided)
      lines.push(`  ? ${u.eventId}: needs ${u.paths.join(', ') || 'data the history lacks'}`);
    for (const e of rule.errors) lines.push(`  ! ${e.eventId}: ${e.code}: ${e.message}`);
  }
  if (report.diff) {
    const d = report.diff;
    lines.push(
      '',
      `against ${d.baseline}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed; ${d.newWrites} new write(s)`,
    );
    for (const run of d.added) lines.push(`${runLine(run, '+')}  [${run.ruleId}]`);
    for (const run of d.removed) lines.push(`${runLine(run, '-')}  [${run.ruleId}]`);
    for (const c of d.changed) {
      lines.push(`  ~ ${iso(c.occurredAt)}  ${c.eventType}  ${c.workItem || '-'}  [${c.ruleId}]`);
      for (const diff of c.differences)
        lines.push(
          `      ${diff.path}: ${JSON.stringify(diff.baseline) ?? 'none'} → ${JSON.stringify(diff.rules) ?? 'none'}`,
        );
    }
  } else {
    lines.push('', `${report.newWrites} write(s) in all`);
  }
  return `${lines.join('\n')}\n`;
}
