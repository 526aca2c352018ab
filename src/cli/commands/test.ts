/**
 * `autopilot test`: what the rules would do with one event, offline. Normalize the event,
 * load the rules, match, plan every matched rule, and report the whole trace. No network:
 * calls that need live data are shown as deferred, with what they will read.
 */
import { stringify } from 'lossless-json';
import { buildCalls } from '../../actions/catalogue.ts';
import { isAutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import { manualRule } from '../../ingest/manual/manual-run.ts';
import { fieldNamesFrom, withFieldNames } from '../../match/change-field.ts';
import { buildEventFacts, type EventFacts } from '../../match/facts.ts';
import { matchEvent, type MatchError, type MatchResult } from '../../match/match-event.ts';
import { buildRuleIndex, producingRuleId } from '../../match/rule-index.ts';
import type { NormalizedWorkItem } from '../../match/work-item.ts';
import { emptyVars, type VarsFact } from '../../match/vars-fact.ts';
import { planRun } from '../../plan/plan-run.ts';
import type { ApiCall, PlannedAction, Run } from '../../plan/run.ts';
import { formatDiagnostic, loadRules } from '../../rules/load-rules.ts';
import { isControlStep } from '../../rules/action-names.ts';
import { EXECUTION_ROOTS } from '../../rules/facts.ts';
import type { Rule } from '../../rules/rule.ts';
import { explainStep, type OfflineFacts } from '../explain-program.ts';
import { replacePersonMarkers } from '../../templates/person-markers.ts';
import { rootsRead } from '../../templates/render.ts';
import { formatTrace } from '../format-trace.ts';
import { HTTP_OPERATION, requestHeaders } from '../../outbound/http-action.ts';
import type { CliCommand } from '../io.ts';
import { readJsonFile } from '../read-json-file.ts';
import { parseTestArgs, TEST_USAGE } from '../test-args.ts';
import { looksLikeLarkDelivery, toEvent, toLinked, toVars, toWorkItem } from '../test-input.ts';
import type { ReportAction, ReportCall, ReportCandidate, ReportRun, TestReport } from '../test-report.ts';

export const command: CliCommand = async (args, io) => {
  const parsed = parseTestArgs(args);
  if (parsed === 'help') {
    io.stdout.write(TEST_USAGE);
    return 0;
  }
  const now = parsed.now ?? Date.now();
  const eventBody = readJsonFile(parsed.event, io.cwd, 'event');
  // A bad event is reported before the rules are read; a Lark message is read against them.
  const early = looksLikeLarkDelivery(eventBody) ? undefined : toEvent(eventBody, now);
  const workItemFile = parsed.workItem ? readJsonFile(parsed.workItem, io.cwd, 'work item') : undefined;
  const workItem = workItemFile === undefined ? undefined : toWorkItem(workItemFile);
  const vars = parsed.vars ? toVars(readJsonFile(parsed.vars, io.cwd, 'variables')) : emptyVars();
  const { rules, diagnostics } = await loadRules([parsed.rules], { cwd: io.cwd });
  if (diagnostics.length > 0) {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    io.stderr.write(`autopilot test: ${diagnostics.length} problem(s) in the rules; fix them first\n`);
    return 1;
  }
  if (rules.length === 0) {
    io.stderr.write(`autopilot test: no rule files (*.yaml, *.yml) in ${parsed.rules}\n`);
    return 1;
  }
  const { event, kind } = early ?? toEvent(eventBody, now, rules);
  const facts = buildEventFacts(event, now, workItem ? async () => workItem : undefined, async () => vars, {
    change: offlineChange(event, workItem),
    // A field list that names aliases (Open API shape) tells them; `{key, value}` entries do not.
    fieldNamesKnown:
      workItem !== undefined ||
      payloadFields(event).some(
        (f) => typeof (f as { field_alias?: unknown } | null)?.field_alias === 'string',
      ),
    linked: toLinked(workItemFile),
  });
  const results = await matchEvent(event, buildRuleIndex(rules), facts);
  const byId = new Map(rules.map((r) => [r.id, r]));
  const candidates: ReportCandidate[] = [];
  for (const result of results)
    candidates.push(await candidate(result, byId.get(result.ruleId), event, facts, vars));
  const report: TestReport = {
    event,
    input: kind,
    workItem: workItem ? 'file' : event.workItem ? 'payload' : 'none',
    candidates,
  };
  const manual = manualRunOf(event, byId);
  if (manual) report.manual = manual;
  // lossless-json writes int64 ids in request bodies as the exact numbers the API will get.
  io.stdout.write(parsed.json ? `${stringify(report, undefined, 2) ?? 'null'}\n` : formatTrace(report));
  // A matched rule that cannot be planned would dead-letter or do nothing live: not a pass.
  const unplanned = candidates.filter((c) => c.planError !== undefined);
  for (const c of unplanned) {
    io.stderr.write(
      `autopilot test: rule ${c.ruleId} matched but cannot be planned: ${c.planError?.code}: ${c.planError?.message}\n`,
    );
  }
  return unplanned.length > 0 ? 1 : 0;
};

/** A manual event fires only the rule it names: say which, and why the engine would refuse it. */
function manualRunOf(event: Event, byId: ReadonlyMap<string, Rule>): TestReport['manual'] {
  const ruleId = event.source === 'manual' ? producingRuleId(event) : undefined;
  if (ruleId === undefined) return undefined;
  const ref = { project: event.projectKey ?? '', type: event.workItem?.typeKey ?? '', id: '' };
  try {
    manualRule(byId, ruleId, ref);
    return { ruleId };
  } catch (error) {
    if (!isAutopilotError(error)) throw error;
    return { ruleId, refused: { code: error.code, message: error.message } };
  }
}

async function candidate(
  result: MatchResult,
  rule: Rule | undefined,
  event: Event,
  facts: EventFacts,
  vars: VarsFact,
): Promise<ReportCandidate> {
  const out: ReportCandidate = {
    ruleId: result.ruleId,
    matched: result.matched,
    needsLiveData: result.error?.code === 'AP_CONDITION_NEEDS_LIVE_DATA',
    conditions: result.conditions,
  };
  if (rule) out.file = rule.source.file;
  if (result.skipped) out.skipped = result.skipped;
  if (result.error) out.error = result.error;
  if (!result.matched || !rule) return out;
  const workItem = (await facts.workItem()).value;
  try {
    out.run = reportRun(planRun(event, rule, { now: facts.now, workItem }), {
      event,
      workItem,
      now: facts.now,
      vars,
    });
  } catch (error) {
    if (!isAutopilotError(error)) throw error;
    out.planError = plainError(error);
  }
  return out;
}

/** The changed field's other name, from the field lists at hand (the work item file, the payload). */
function offlineChange(event: Event, workItem: NormalizedWorkItem | undefined): Event['change'] {
  if (event.change === undefined) return undefined;
  const names = [...fieldNamesFrom(workItem?.raw_fields), ...fieldNamesFrom(payloadFields(event))];
  return withFieldNames(event.change, names);
}

function payloadFields(event: Event): unknown[] {
  const payload = event.payload as { payload?: { fields?: unknown }; fields?: unknown } | undefined;
  const fields = payload?.payload?.fields ?? payload?.fields;
  return Array.isArray(fields) ? fields : [];
}

/** What the dry run knows besides the run: the event, the work item, `now`, the variables assumed. */
type Known = Omit<OfflineFacts, 'run' | 'reportCall' | 'steps'>;

function reportRun(run: Run, known: Known): ReportRun {
  // Each run changes its own copy: another rule's steps must not see this one's increments.
  const ownVars = { ...known, vars: structuredClone(known.vars), steps: {} };
  return {
    id: run.id,
    mode: run.mode,
    lane: run.lane,
    actions: run.actions.map((a) => reportAction(a, { ...ownVars, run })),
  };
}

function reportAction(
  action: PlannedAction,
  known: Known & Pick<OfflineFacts, 'run' | 'steps'>,
): ReportAction {
  const { event, workItem } = known;
  const out: ReportAction = {
    index: action.index,
    type: action.type,
    recheck: action.recheck,
    idempotencyKey: action.idempotencyKey,
    params: offlinePeople(action.params),
  };
  if (action.name !== undefined) out.name = action.name;
  if (action.calls) {
    out.calls = action.calls.map((c) => reportCall(offlinePeople(c), action.idempotencyKey));
  } else if (action.render === 'execution') {
    out.deferred = executionReason(action);
    // Rendered params (an approval card's text, say) carry the same person markers as calls do.
    out.explain = offlinePeople(
      explainStep(action, {
        ...known,
        reportCall: (call, key) => reportCall(offlinePeople(call), key),
      }),
    );
  } else {
    // The planner keeps only the calls; ask the catalogue again for why there are none yet.
    const built = buildCalls({ type: action.type, params: action.params }, { event, workItem });
    out.deferred = 'deferred' in built ? built.deferred : 'calls are decided at execution time';
  }
  return out;
}

/** Why a step is only rendered when it runs (docs/design/run-program.md §2). */
function executionReason(action: PlannedAction): string {
  const roots = [...rootsRead(action.params)].filter((root) =>
    (EXECUTION_ROOTS as readonly string[]).includes(root),
  );
  if (roots.length > 0) {
    return `rendered when the step runs: its params read ${roots.map((r) => `${r}.*`).join(', ')}, known at execution time`;
  }
  if (action.type === 'wait') {
    const recheck = action.recheck ? ', then re-checks the condition on fresh data' : '';
    return `parks the run for ${String(action.params.duration)} outside the work item's lane${recheck}`;
  }
  if (action.type === 'choose')
    return 'the first pair whose condition holds when the step runs is taken (below: on the facts known now)';
  if (action.type === 'for_each') return 'runs its steps once per item of the list, read when the step runs';
  if (action.type === 'lookup') return 'searches when the step runs; its items feed later steps';
  if (action.type === 'set' || action.type === 'increment')
    return `changes vars.${String(action.params.scope ?? 'work_item')}.${String(action.params.var)} when the step runs, once per run (below: the value it would get; nothing is written)`;
  if (isControlStep(action.type)) return `${action.type} is a control step, run by the executor`;
  if (action.when) return 'its condition is evaluated when the step runs (below: on the facts known now)';
  return 'it comes after a wait: rendered when the step runs, with the facts of then';
}

/**
 * Names and @mentions are looked up at execution time (user/query); offline the dry run says
 * whom they will name.
 */
function offlinePeople<T>(value: T): T {
  if (typeof value === 'string')
    return replacePersonMarkers(value, (format, key) =>
      format === 'name' ? `<name of ${key}>` : `<@mention ${key}>`,
    ) as T;
  if (Array.isArray(value)) return value.map(offlinePeople) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, offlinePeople(v)])) as T;
  return value;
}

function reportCall(call: ApiCall, idempotencyKey: string): ReportCall {
  const out: ReportCall = { operation: call.operation, method: call.method, path: call.path };
  if (call.query) out.query = call.query;
  if (call.body !== undefined) out.body = call.body;
  // An http call goes out with its own headers and `idempotency-key`, not the Open API's X-IDEM-UUID.
  if (call.operation === HTTP_OPERATION)
    out.headers = requestHeaders(call, call.write ? idempotencyKey : undefined);
  else if (call.write) out.headers = { 'X-IDEM-UUID': idempotencyKey };
  return out;
}

function plainError(error: { code: MatchError['code']; message: string; details?: unknown }): MatchError {
  const plain: MatchError = { code: error.code, message: error.message };
  if (error.details) plain.details = error.details as Record<string, unknown>;
  return plain;
}
