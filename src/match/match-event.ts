/**
 * Matching one event: candidate rules from the index, the loop guards (self-caused events,
 * causation depth, command allow-lists), then the conditions, with a trace for every rule
 * considered. Rules that read only synchronous facts are evaluated directly; rules that read
 * `work_item` go through json-rules-engine with the work item as an async fact, loaded at most
 * once per event whichever rules ask for it.
 */
import type { AutopilotError, ErrorCode } from '../errors.ts';
import type { Event } from '../events/event.ts';
import { isCommandTrigger, type Rule } from '../rules/rule.ts';
import type { ConditionEvaluation, ConditionTrace } from './condition-trace.ts';
import { evaluateDirect } from './evaluate-direct.ts';
import { evaluateWithEngine } from './evaluate-engine.ts';
import type { EventFacts } from './facts.ts';
import { createOperators, type OperatorFn } from './operators.ts';
import { candidateRules, type IndexedRule, type RuleIndex } from './rule-index.ts';

/** Causation depth allowed when a rule sets no `max_depth`. */
export const DEFAULT_MAX_DEPTH = 10;

export interface MatchOptions {
  /** The engine's own user_key: events it caused are skipped unless a rule says `allow_self`. */
  engineUserKey?: string;
}

export type SkipReason = 'self_event' | 'depth_cap' | 'chat_not_allowed' | 'user_not_allowed';

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
  const results = new Map<string, MatchResult>();
  const direct: IndexedRule[] = [];
  const viaEngine: IndexedRule[] = [];
  for (const entry of candidates) {
    const skipped = skipReason(entry.rule, event, options);
    if (skipped !== undefined)
      results.set(entry.rule.id, { ruleId: entry.rule.id, matched: false, conditions: [], skipped });
    else if (entry.rule.when === undefined)
      results.set(entry.rule.id, { ruleId: entry.rule.id, matched: true, conditions: [] });
    else (entry.needsWorkItem ? viaEngine : direct).push(entry);
  }
  const operators = createOperators({ change: facts.change, now: facts.now });
  const constant = { event: facts.event, change: facts.change, command: facts.command, now: facts.now };
  for (const { rule } of direct) {
    const evaluation = evaluateDirect(rule.when!, constant, operators, { workItemLive: false });
    results.set(rule.id, toResult(rule.id, evaluation));
  }
  if (viaEngine.length > 0) {
    for (const [ruleId, evaluation] of await evaluateAsync(viaEngine, facts, constant, operators)) {
      results.set(ruleId, toResult(ruleId, evaluation));
    }
  }
  return candidates.map((c) => results.get(c.rule.id)!);
}

async function evaluateAsync(
  entries: readonly IndexedRule[],
  facts: EventFacts,
  constant: Record<string, unknown>,
  operators: ReadonlyMap<string, OperatorFn>,
): Promise<Map<string, ConditionEvaluation>> {
  let workItemLive = false;
  const loadWorkItem = async () => {
    const fact = await facts.workItem();
    workItemLive = fact.live;
    return fact.value;
  };
  return evaluateWithEngine(
    entries.map(({ rule }) => ({ id: rule.id, when: rule.when! })),
    { constant, dynamic: { work_item: loadWorkItem }, leafContext: () => ({ workItemLive }) },
    operators,
  );
}

function skipReason(rule: Rule, event: Event, options: MatchOptions): MatchResult['skipped'] {
  if (options.engineUserKey !== undefined && event.operator === options.engineUserKey && !rule.allow_self) {
    return {
      reason: 'self_event',
      message: 'the engine caused this event itself and the rule has no allow_self',
    };
  }
  const depth = event.causation?.depth ?? 0;
  const cap = rule.max_depth ?? DEFAULT_MAX_DEPTH;
  if (depth > cap) {
    return { reason: 'depth_cap', message: `causation depth ${depth} is over the rule's cap of ${cap}` };
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
