/**
 * Matching one event: candidate rules from the index, the loop guards (self-caused events,
 * causation depth, command allow-lists), then the conditions, with a trace for every rule
 * considered. The work item is loaded at most once per event, and only when a candidate rule
 * reads it.
 *
 * Two evaluators give identical results (test/match/evaluators-agree.test.ts): the direct one
 * (default) and json-rules-engine, with a fresh Engine per evaluation. Direct is the default
 * because json-rules-engine's run() costs ~50 µs per rule on its own (bench/matcher.bench.ts):
 * far more than the whole indexed match.
 */
import type { AutopilotError, ErrorCode } from '../errors.ts';
import type { Event } from '../events/event.ts';
import { isCommandTrigger, type ConditionNode, type Rule } from '../rules/rule.ts';
import type { ConditionEvaluation, ConditionTrace } from './condition-trace.ts';
import { evaluateDirect } from './evaluate-direct.ts';
import { evaluateWithEngine } from './evaluate-engine.ts';
import type { EventFacts } from './facts.ts';
import { linkedRead } from './fact-values.ts';
import { createOperators } from './operators.ts';
import { candidateRules, type RuleIndex } from './rule-index.ts';
import { varsMentioned } from './vars-fact.ts';

/** Causation depth allowed when a rule sets no `max_depth`. */
export const DEFAULT_MAX_DEPTH = 10;

export interface MatchOptions {
  /** The engine's own user_key: events it caused are skipped unless a rule says `allow_self`. */
  engineUserKey?: string;
  /**
   * `direct` evaluates condition trees in process; `json-rules-engine` runs them on a new
   * json-rules-engine Engine per evaluation (the reference semantics, slower). @defaultValue 'direct'
   */
  evaluator?: 'direct' | 'json-rules-engine';
  /** The cap for rules without `max_depth` (config `loop.maxDepth`). @defaultValue DEFAULT_MAX_DEPTH */
  maxDepth?: number;
  /**
   * How many times in one chain a rule may answer a Feishu automation rule's answer to its own
   * write (config `loop.maxAutomationCycles`). @defaultValue DEFAULT_MAX_AUTOMATION_CYCLES
   */
  maxAutomationCycles?: number;
}

/** Cross-system cycles allowed when the configuration sets none. */
export const DEFAULT_MAX_AUTOMATION_CYCLES = 2;

export type SkipReason =
  'self_event' | 'depth_cap' | 'automation_loop' | 'chat_not_allowed' | 'user_not_allowed';

export interface MatchError {
  code: ErrorCode;
  message: string;
  details?: Readonly<Record<string, unknown>>;
}

export interface MatchResult {
  ruleId: string;
  matched: boolean;
  conditions: ConditionTrace[];
  /** Set when the rule was not evaluated at all, with why. */
  skipped?: { reason: SkipReason; message: string };
  error?: MatchError;
}

export async function matchEvent(
  event: Event,
  index: RuleIndex,
  facts: EventFacts,
  options: MatchOptions = {},
): Promise<MatchResult[]> {
  const candidates = candidateRules(index, event);
  const settled = new Map<string, MatchResult>();
  const toEvaluate: Conditional[] = [];
  for (const { rule, needsWorkItem } of candidates) {
    const skipped = skipReason(rule, event, options);
    if (skipped !== undefined)
      settled.set(rule.id, { ruleId: rule.id, matched: false, conditions: [], skipped });
    else if (rule.when === undefined)
      settled.set(rule.id, { ruleId: rule.id, matched: true, conditions: [] });
    else toEvaluate.push({ id: rule.id, when: rule.when, needsWorkItem, vars: varsMentioned(rule.when) });
  }
  const evaluate = options.evaluator === 'json-rules-engine' ? evaluateOnEngine : evaluateInProcess;
  const evaluations = await evaluate(toEvaluate, facts);
  return candidates.map(({ rule }) => {
    const evaluation = evaluations.get(rule.id);
    return evaluation === undefined ? (settled.get(rule.id) as MatchResult) : toResult(rule.id, evaluation);
  });
}

/** A candidate that passed the guards and has conditions to evaluate. */
interface Conditional {
  id: string;
  when: ConditionNode;
  needsWorkItem: boolean;
  /** The variables its conditions read (each rule has its own `vars.rule`). */
  vars: ReturnType<typeof varsMentioned>;
}

type Evaluations = Map<string, ConditionEvaluation>;

/** The linked work items any of the rules' conditions read: one read for all of them. */
function linkedWanted(entries: readonly Conditional[]): { related: string[]; parent: boolean } {
  const related = new Set<string>();
  let parent = false;
  for (const { when } of entries) {
    const reads = linkedRead(when);
    for (const rule of reads.related) related.add(rule);
    parent ||= reads.parent;
  }
  return { related: [...related], parent };
}

function constantFacts(facts: EventFacts): Record<string, unknown> {
  return {
    event: facts.event,
    change: facts.change,
    command: facts.command,
    now: facts.now,
    origin: facts.origin,
  };
}

async function evaluateInProcess(entries: readonly Conditional[], facts: EventFacts): Promise<Evaluations> {
  const known = constantFacts(facts);
  let workItemLive = false;
  if (entries.some((e) => e.needsWorkItem)) {
    const workItem = await facts.workItem();
    known.work_item = workItem.value;
    workItemLive = workItem.live;
  }
  const wanted = linkedWanted(entries);
  if (wanted.related.length > 0) known.related = await facts.related(wanted.related);
  if (wanted.parent) known.parent = await facts.parent();
  const operators = createOperators({ change: facts.change, now: facts.now });
  const evaluations: Evaluations = new Map();
  for (const { id, when, vars } of entries) {
    const table = { ...known, vars: await facts.vars(id, vars) };
    evaluations.set(
      id,
      evaluateDirect(when, table, operators, {
        workItemLive,
        originKnown: facts.origin !== undefined,
        fieldNamesKnown: facts.fieldNamesKnown,
        linkedKnown: facts.linkedKnown,
      }),
    );
  }
  return evaluations;
}

async function evaluateOnEngine(entries: readonly Conditional[], facts: EventFacts): Promise<Evaluations> {
  if (entries.length === 0) return new Map();
  let workItemLive = false;
  const loadWorkItem = async () => {
    const fact = await facts.workItem();
    workItemLive = fact.live;
    return fact.value;
  };
  const evaluateGroup = (group: readonly Conditional[], vars: unknown) =>
    evaluateWithEngine(
      group.map(({ id, when }) => ({ id, when })),
      {
        constant: { ...constantFacts(facts), vars },
        dynamic: {
          work_item: loadWorkItem,
          related: () => facts.related(linkedWanted(group).related),
          parent: () => facts.parent(),
        },
        leafContext: () => ({
          workItemLive,
          originKnown: facts.origin !== undefined,
          fieldNamesKnown: facts.fieldNamesKnown,
          linkedKnown: facts.linkedKnown,
        }),
      },
      createOperators({ change: facts.change, now: facts.now }),
    );
  // `vars` differs per rule (`vars.rule` is the rule's own): rules that read it get an engine each.
  const plain = entries.filter((e) => e.vars.length === 0);
  const evaluations = plain.length > 0 ? await evaluateGroup(plain, await facts.vars('', [])) : new Map();
  for (const entry of entries.filter((e) => e.vars.length > 0)) {
    const one = await evaluateGroup([entry], await facts.vars(entry.id, entry.vars));
    for (const [id, evaluation] of one) evaluations.set(id, evaluation);
  }
  return evaluations;
}

function skipReason(rule: Rule, event: Event, options: MatchOptions): MatchResult['skipped'] {
  if (options.engineUserKey !== undefined && event.operator === options.engineUserKey && !rule.allow_self) {
    return {
      reason: 'self_event',
      message: 'the engine caused this event itself and the rule has no allow_self',
    };
  }
  const depth = event.causation?.depth ?? 0;
  const cap = rule.max_depth ?? options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (depth > cap) {
    return { reason: 'depth_cap', message: `causation depth ${depth} is over the rule's cap of ${cap}` };
  }
  const answer = event.causation?.automation;
  const cycles = event.causation?.automationCycles ?? 0;
  if (
    answer?.answered.includes(rule.id) &&
    cycles > (options.maxAutomationCycles ?? DEFAULT_MAX_AUTOMATION_CYCLES)
  ) {
    return {
      reason: 'automation_loop',
      message: `Feishu automation rule ${answer.ruleId} answered rule ${rule.id}'s writes ${cycles} times in one chain; the loop is stopped`,
    };
  }
  if (isCommandTrigger(rule.on) && event.command !== undefined) {
    const { chats, users } = rule.on;
    if (chats && chats.length > 0 && !chats.includes(event.command.chatId)) {
      return {
        reason: 'chat_not_allowed',
        message: `chat ${event.command.chatId} is not in the rule's chats`,
      };
    }
    if (users && users.length > 0 && !users.includes(event.command.sender)) {
      return {
        reason: 'user_not_allowed',
        message: `user ${event.command.sender} is not in the rule's users`,
      };
    }
  }
  return undefined;
}

function toResult(ruleId: string, evaluation: ConditionEvaluation): MatchResult {
  const result: MatchResult = { ruleId, matched: evaluation.matched, conditions: evaluation.conditions };
  if (evaluation.error !== undefined) result.error = plainError(evaluation.error);
  return result;
}

function plainError(error: AutopilotError): MatchError {
  const plain: MatchError = { code: error.code, message: error.message };
  if (error.details !== undefined) plain.details = error.details;
  return plain;
}
