/**
 * The `vars` fact: named values set by `set` / `increment` steps, scoped to the work item, the
 * rule or the space, kept in the StateStore under `var:<scope>:<scope id>:<name>`. Conditions
 * and templates read `vars.<scope>.<name>`; only the names a rule mentions are read.
 */
import { AutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';

export const VAR_SCOPES = ['work_item', 'rule', 'space'] as const;
export type VarScope = (typeof VAR_SCOPES)[number];

/** The `vars` fact: scope → name → value. */
export type VarsFact = Record<VarScope, Record<string, unknown>>;

export interface VarOwner {
  ruleId: string;
  event: Pick<Event, 'projectKey' | 'workItem'>;
}

/** The id a scope has for this rule and event; AP_RULE_INVALID when the event has none. */
export function scopeIdOf(scope: VarScope, owner: VarOwner): string {
  const { event } = owner;
  if (scope === 'rule') return owner.ruleId;
  if (scope === 'space' && event.projectKey) return event.projectKey;
  if (scope === 'work_item' && event.projectKey && event.workItem)
    return `${event.projectKey}:${event.workItem.id}`;
  throw new AutopilotError(
    'AP_RULE_INVALID',
    `vars.${scope}: the event carries no ${scope === 'space' ? 'space' : 'work item'} to keep the variable on`,
  );
}

export function varKey(scope: VarScope, owner: VarOwner, name: string): string {
  return `var:${scope}:${scopeIdOf(scope, owner)}:${name}`;
}

/** `(scope, name)` of every `vars.<scope>.<name>…` among dotted paths (roots included). */
export function varsRead(paths: readonly string[]): Array<{ scope: VarScope; name: string }> {
  const found = new Map<string, { scope: VarScope; name: string }>();
  for (const path of paths) {
    const [root, scope, name] = path.split('.');
    if (root !== 'vars' || name === undefined || !(VAR_SCOPES as readonly string[]).includes(scope ?? ''))
      continue;
    found.set(`${scope}.${name}`, { scope: scope as VarScope, name });
  }
  return [...found.values()];
}

/** Reads the named variables; a scope the event has no id for reads as empty. */
export async function loadVars(
  get: (key: string) => Promise<unknown>,
  wanted: ReadonlyArray<{ scope: VarScope; name: string }>,
  owner: VarOwner,
): Promise<VarsFact> {
  const fact: VarsFact = { work_item: {}, rule: {}, space: {} };
  await Promise.all(
    wanted.map(async ({ scope, name }) => {
      let key: string;
      try {
        key = varKey(scope, owner, name);
      } catch {
        return;
      }
      const value = await get(key);
      if (value !== undefined) fact[scope][name] = value;
    }),
  );
  return fact;
}
