/**
 * Which spaces and work item types the reconciler watches: those the event rules name (a rule
 * fed by webhooks names its spaces in `on.project`, its types in `on.work_item_type`), plus the
 * spaces the configuration adds. A space with a rule that names no type is watched whole.
 */
import { isEventTrigger, type Rule } from '../rules/rule.ts';

export interface SpaceScope {
  /** project_key or simple_name, as written. */
  space: string;
  /** Type keys to look at; undefined: every type of the space. */
  types?: string[];
}

/** Event types a Feishu webhook (and so an operation record) can produce. */
function fedByWebhooks(rule: Rule): boolean {
  if (!isEventTrigger(rule.on)) return false;
  const types = Array.isArray(rule.on.event) ? rule.on.event : [rule.on.event];
  return types.some((t) => /^(work_item|node|subtask)\./.test(t));
}

export function scopeOf(rules: Iterable<Rule>, extraSpaces: readonly string[] = []): SpaceScope[] {
  const scopes = new Map<string, Set<string> | undefined>();
  const add = (space: string, types: readonly string[] | undefined) => {
    const known = scopes.get(space);
    if (scopes.has(space) && known === undefined) return;
    if (types === undefined || types.length === 0) scopes.set(space, undefined);
    else scopes.set(space, new Set([...(known ?? []), ...types]));
  };
  for (const rule of rules) {
    if (!rule.enabled || !fedByWebhooks(rule) || !isEventTrigger(rule.on)) continue;
    for (const space of rule.on.project ?? []) add(space, rule.on.work_item_type);
  }
  for (const space of extraSpaces) add(space, undefined);
  return [...scopes]
    .map(([space, types]) => (types ? { space, types: [...types].sort() } : { space }))
    .sort((a, b) => (a.space < b.space ? -1 : 1));
}
