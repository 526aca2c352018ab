/**
 * Candidate rules by trigger, so an event is only checked against rules that could fire on
 * it: event rules by (event type, project, work item type) with `*` standing for "any";
 * poll, schedule and manual rules by rule id; command rules by command name;
 * card action rules by action name. Disabled rules are left out. A rule with both `event` and
 * `manual` is in both indexes.
 */
import type { Event } from '../events/event.ts';
import { compileCommandGrammar } from '../rules/command-grammar.ts';
import {
  isCardActionTrigger,
  isCommandTrigger,
  isEventTrigger,
  isManualTrigger,
  isPollTrigger,
  isScheduleTrigger,
  type Rule,
  type Trigger,
} from '../rules/rule.ts';
import { factsUsed } from './fact-values.ts';

export interface IndexedRule {
  rule: Rule;
  /** Position in the loaded rule set: candidates are always returned in this order. */
  ordinal: number;
  /** The conditions read `work_item`, which may have to be loaded. */
  needsWorkItem: boolean;
}

export interface RuleIndex {
  readonly size: number;
  readonly byEvent: ReadonlyMap<string, readonly IndexedRule[]>;
  readonly byPoll: ReadonlyMap<string, IndexedRule>;
  readonly bySchedule: ReadonlyMap<string, IndexedRule>;
  readonly byCommand: ReadonlyMap<string, readonly IndexedRule[]>;
  readonly byCardAction: ReadonlyMap<string, readonly IndexedRule[]>;
  readonly byManual: ReadonlyMap<string, IndexedRule>;
}

const ANY = '*';

export function buildRuleIndex(rules: readonly Rule[]): RuleIndex {
  const byEvent = new Map<string, IndexedRule[]>();
  const byPoll = new Map<string, IndexedRule>();
  const bySchedule = new Map<string, IndexedRule>();
  const byCommand = new Map<string, IndexedRule[]>();
  const byCardAction = new Map<string, IndexedRule[]>();
  const byManual = new Map<string, IndexedRule>();
  let size = 0;
  rules.forEach((rule, ordinal) => {
    if (!rule.enabled) return;
    size++;
    const entry: IndexedRule = { rule, ordinal, needsWorkItem: factsUsed(rule.when).has('work_item') };
    const on = rule.on;
    if (isPollTrigger(on)) byPoll.set(rule.id, entry);
    else if (isScheduleTrigger(on)) bySchedule.set(rule.id, entry);
    else if (isCommandTrigger(on)) push(byCommand, compileCommandGrammar(on.command).name, entry);
    else if (isCardActionTrigger(on)) push(byCardAction, on.card_action, entry);
    else if (isEventTrigger(on)) for (const key of eventKeys(on)) push(byEvent, key, entry);
    if (isManualTrigger(on)) byManual.set(rule.id, entry);
  });
  return { size, byEvent, byPoll, bySchedule, byCommand, byCardAction, byManual };
}

/** Candidate rules for an event, in rule-set order, each once. */
export function candidateRules(index: RuleIndex, event: Event): IndexedRule[] {
  const found: (readonly IndexedRule[])[] = [];
  const projects = [...new Set([event.projectKey, event.projectName, ANY].filter((p) => p !== undefined))];
  const workItemType = event.workItem?.typeKey ?? ANY;
  for (const type of unique(event.type, ANY)) {
    for (const p of projects) {
      for (const w of unique(workItemType, ANY)) {
        const list = index.byEvent.get(key(type, p, w));
        if (list !== undefined) found.push(list);
      }
    }
  }
  const own = ownTriggerRules(index, event);
  if (own.length > 0) found.push(own);
  return mergeInOrder(found);
}

/**
 * Poll, schedule and manual events name the rule they are for, and fire only that rule; chat
 * commands name the command.
 */
function ownTriggerRules(index: RuleIndex, event: Event): IndexedRule[] {
  if (event.command !== undefined) return [...(index.byCommand.get(event.command.name.toLowerCase()) ?? [])];
  if (event.card !== undefined) {
    const card = event.card;
    return (index.byCardAction.get(card.action) ?? []).filter((e) => matchesPrefilter(e.rule.on, event));
  }
  const ruleId = producingRuleId(event);
  if (ruleId === undefined) return [];
  const byRuleId = { schedule: index.bySchedule, manual: index.byManual }[event.source as string];
  const producer = (byRuleId ?? index.byPoll).get(ruleId);
  return producer === undefined || !matchesPrefilter(producer.rule.on, event) ? [] : [producer];
}

/** `payload.rule_id` of a poll, schedule or manual event: the rule whose trigger produced it. */
export function producingRuleId(event: Event): string | undefined {
  if (event.source !== 'poll' && event.source !== 'schedule' && event.source !== 'manual') return undefined;
  const payload = event.payload;
  if (payload === null || typeof payload !== 'object') return undefined;
  const id = (payload as Record<string, unknown>).rule_id;
  return typeof id === 'string' ? id : undefined;
}

function matchesPrefilter(on: Trigger, event: Event): boolean {
  const { project, work_item_type: types } = on;
  const names = [event.projectKey, event.projectName].filter((p) => p !== undefined);
  if (project && project.length > 0 && !names.some((name) => project.includes(name))) return false;
  return !(types && types.length > 0 && !types.includes(event.workItem?.typeKey ?? ''));
}

function eventKeys(on: {
  event: string | string[];
  project?: string[];
  work_item_type?: string[];
}): string[] {
  const types = Array.isArray(on.event) ? on.event : [on.event];
  const projects = on.project && on.project.length > 0 ? on.project : [ANY];
  const workItemTypes = on.work_item_type && on.work_item_type.length > 0 ? on.work_item_type : [ANY];
  const keys = new Set<string>();
  for (const t of types) for (const p of projects) for (const w of workItemTypes) keys.add(key(t, p, w));
  return [...keys];
}

function key(type: string, project: string, workItemType: string): string {
  return `${type}\u0000${project}\u0000${workItemType}`;
}

function unique(value: string, any: string): string[] {
  return value === any ? [any] : [value, any];
}

function push<T>(map: Map<string, T[]>, k: string, value: T): void {
  const list = map.get(k);
  if (list === undefined) map.set(k, [value]);
  else list.push(value);
}

function mergeInOrder(lists: (readonly IndexedRule[])[]): IndexedRule[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return [...(lists[0] as readonly IndexedRule[])];
  const all = lists.flat().sort((a, b) => a.ordinal - b.ordinal);
  return all.filter((entry, i) => i === 0 || all[i - 1] !== entry);
}
