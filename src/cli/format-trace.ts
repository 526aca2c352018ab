/**
 * The human view of `autopilot test`: the event, then one block per candidate rule with its
 * conditions (fact value seen, operator, outcome) and, for a matched rule, the planned calls.
 */
import { HTTP_OPERATION } from '../outbound/http-action.ts';
import type { Event } from '../events/event.ts';
import { stringifyJson } from '../openapi/json.ts';
import type { ConditionTrace } from '../match/condition-trace.ts';
import type {
  ReportAction,
  ReportCall,
  ReportCandidate,
  ReportStep,
  StepExplanation,
  TestReport,
} from './test-report.ts';

const INPUT_NAMES = {
  'feishu-webhook': 'Feishu webhook',
  'lark-message': 'Lark message',
  canonical: 'canonical event',
} as const;
const WORK_ITEM_NAMES = {
  file: 'from --work-item',
  payload: 'from the event payload only (conditions on other fields need live data)',
  none: 'none (the event carries no work item)',
} as const;

/** Short JSON for one line; long values are cut so a trace stays readable. */
function show(value: unknown, max = 80): string {
  if (value === undefined) return '(missing)';
  const text = stringifyJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function eventLines(event: Event, report: TestReport): string[] {
  const lines = [
    `event ${event.type}  id ${event.id}  (${INPUT_NAMES[report.input]}, source ${event.source})`,
  ];
  lines.push(`  at         ${new Date(event.occurredAt).toISOString()}`);
  if (event.projectKey) lines.push(`  project    ${event.projectKey}`);
  if (event.workItem) lines.push(`  work item  ${event.workItem.typeKey} ${event.workItem.id}`);
  if (event.operator) lines.push(`  operator   ${event.operator}`);
  if (event.change) lines.push(`  change     ${show(event.change, 100)}`);
  if (event.command) lines.push(`  command    ${event.command.name} ${show(event.command.args)}`);
  lines.push(`  work_item  ${WORK_ITEM_NAMES[report.workItem]}`);
  if (report.manual) {
    const { ruleId, refused } = report.manual;
    lines.push(
      refused
        ? `  manual     names rule ${ruleId}, which it cannot run: ${refused.code}: ${refused.message}`
        : `  manual     a manual run of rule ${ruleId}: only that rule is a candidate`,
    );
  }
  return lines;
}

function outcomeText(trace: ConditionTrace): string {
  if (trace.outcome === 'needs_live_data') return 'NEEDS LIVE DATA';
  return trace.outcome ? 'true' : 'false';
}

function conditionLine(trace: ConditionTrace): string {
  const fact = trace.path ? `${trace.fact}.${trace.path}` : trace.fact;
  return `${fact} ${trace.operator} ${show(trace.expected, 40)}  seen ${show(trace.actual, 60)}  → ${outcomeText(trace)}`;
}

function verdict(c: ReportCandidate): string {
  if (c.skipped) return `SKIPPED (${c.skipped.reason}: ${c.skipped.message})`;
  if (c.matched) return 'MATCHED';
  if (c.needsLiveData) return 'UNDECIDED: needs live work item data (pass --work-item)';
  if (c.error) return `NOT MATCHED (${c.error.code}: ${c.error.message})`;
  return 'not matched';
}

function actionLines(action: ReportAction): string[] {
  const flags = [action.name ? `name ${action.name}` : '', action.recheck ? 'recheck' : ''].filter(Boolean);
  // An http call carries its key as `idempotency-key`; Open API writes as X-IDEM-UUID.
  const keyHeader = action.type === 'http' ? 'idempotency-key' : 'X-IDEM-UUID';
  const head = `${action.index + 1}. ${action.type}${flags.length > 0 ? ` (${flags.join(', ')})` : ''}  ${keyHeader} ${action.idempotencyKey}`;
  const lines = [head, ...callLines(action.calls)];
  if (action.deferred)
    lines.push(
      action.explain
        ? `   at execution: ${action.deferred}`
        : `   deferred (needs live data): ${action.deferred}`,
    );
  if (action.explain) lines.push(...explanationLines(action.explain, '   '));
  return lines;
}

function callLines(calls: readonly ReportCall[] | undefined, indent = '   '): string[] {
  const lines: string[] = [];
  for (const call of calls ?? []) {
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    lines.push(`${indent}${call.method} ${call.path}${query}${call.headers ? '' : '  (read)'}`);
    if (call.operation === HTTP_OPERATION && call.headers) {
      for (const [name, value] of Object.entries(call.headers)) lines.push(`${indent}${name}: ${value}`);
    }
    if (call.body !== undefined) lines.push(`${indent}body ${stringifyJson(call.body)}`);
  }
  return lines;
}

/** What the dry run knows of a step run at execution: branch, iterations, nested steps, calls. */
function explanationLines(e: StepExplanation, indent: string): string[] {
  const lines: string[] = [];
  if (e.branch) {
    const why = e.branch.reason ? ` (${e.branch.reason})` : '';
    lines.push(`${indent}condition → ${String(e.branch.taken)}${why}`);
    for (const trace of e.branch.conditions) lines.push(`${indent}  - ${conditionLine(trace)}`);
  }
  if (e.parksUntil !== undefined)
    lines.push(`${indent}parks the run until ${new Date(e.parksUntil).toISOString()} (if run now)`);
  if (e.variable) {
    const was = e.variable.before === undefined ? 'not set' : show(e.variable.before, 40);
    lines.push(
      `${indent}vars.${e.variable.var} would be ${show(e.variable.value, 60)} (now ${was}; nothing written)`,
    );
  }
  if (e.error) lines.push(`${indent}refused: ${e.error.code}: ${e.error.message}`);
  if (e.deferred && e.branch === undefined) lines.push(`${indent}deferred: ${e.deferred}`);
  lines.push(...callLines(e.calls, indent));
  for (const step of e.steps ?? []) lines.push(...stepLines(step, indent));
  for (const iteration of e.iterations ?? []) {
    lines.push(`${indent}iteration ${iteration.index}: item ${show(iteration.item, 60)}`);
    for (const step of iteration.steps) lines.push(...stepLines(step, `${indent}  `));
  }
  return lines;
}

function stepLines(step: ReportStep, indent: string): string[] {
  const name = step.name ? ` (name ${step.name})` : '';
  const lines = [`${indent}${step.path} ${step.type}${name}  X-IDEM-UUID ${step.idempotencyKey}`];
  const deferred =
    step.deferred && step.branch !== undefined ? [`${indent}   deferred: ${step.deferred}`] : [];
  return [...lines, ...explanationLines(step, `${indent}   `), ...deferred];
}

function candidateLines(c: ReportCandidate): string[] {
  const lines = [`${c.ruleId}: ${verdict(c)}${c.file ? `  [${c.file}]` : ''}`];
  if (c.conditions.length === 0 && !c.skipped) lines.push('  when: (no conditions)');
  for (const trace of c.conditions) lines.push(`  - ${conditionLine(trace)}`);
  if (c.planError) lines.push(`  plan failed: ${c.planError.code}: ${c.planError.message}`);
  if (c.run) {
    lines.push(`  run ${c.run.id} (${c.run.mode}, lane ${c.run.lane}): ${c.run.actions.length} action(s)`);
    for (const action of c.run.actions) lines.push(...actionLines(action).map((l) => `    ${l}`));
  }
  return lines;
}

export function formatTrace(report: TestReport): string {
  const matched = report.candidates.filter((c) => c.matched).length;
  const lines = [...eventLines(report.event, report), ''];
  lines.push(`${report.candidates.length} candidate rule(s), ${matched} matched`);
  for (const c of report.candidates) lines.push('', ...candidateLines(c));
  return `${lines.join('\n')}\n`;
}
