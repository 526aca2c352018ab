/**
 * The `vars` fact: named values set by `set` / `increment` steps, scoped to the work item, the
 * rule or the space, kept in the StateStore under `var:<scope>:<scope id>:<name>`. Conditions
 * and templates read `vars.<scope>.<name>`; only the names a rule mentions are read.
 */
import { AutopilotError, isAutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import { templatePaths } from '../templates/parse.ts';

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

/** Why a path inside `vars` names no variable (`work_item.reopened` is one), or undefined. */
export function varPathProblem(path: string): string | undefined {
  const [scope, name] = path.split('.');
  if (!(VAR_SCOPES as readonly string[]).includes(scope ?? '') || !name)
    return `'${path}' names no variable: vars are read as <scope>.<name>, scope one of ${VAR_SCOPES.join(', ')} (e.g. work_item.reopened)`;
  return undefined;
}

/** `(scope, name)` of every `vars.<scope>.<name>…` among dotted paths (roots included). */
export function varsRead(paths: readonly string[]): VarRef[] {
  const found = new Map<string, VarRef>();
  for (const path of paths) {
    const [root, scope, name] = path.split('.');
    if (root !== 'vars' || name === undefined || !(VAR_SCOPES as readonly string[]).includes(scope ?? ''))
      continue;
    found.set(`${scope}.${name}`, { scope: scope as VarScope, name });
  }
  return [...found.values()];
}

export type VarRef = { scope: VarScope; name: string };

/** No variable read: what `vars` is where nothing was loaded (offline, or a rule reading none). */
export function emptyVars(): VarsFact {
  return { work_item: {}, rule: {}, space: {} };
}

const READS_VARS = /\{\{\s*vars\./;

const mentioned = new WeakMap<object, readonly VarRef[]>();

/**
 * The variables a rule's conditions and templates mention anywhere in `value` (a rule's `when`,
 * its steps): `{ fact: vars, path: <scope>.<name> }` leaves (and fact references in values) and
 * `{{vars.<scope>.<name>}}` look-ups. Remembered per object: rules are immutable.
 */
export function varsMentioned(value: object): readonly VarRef[] {
  let found = mentioned.get(value);
  if (found === undefined) {
    const paths: string[] = [];
    collectPaths(value, paths);
    found = varsRead(paths);
    mentioned.set(value, found);
  }
  return found;
}

function collectPaths(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    if (!READS_VARS.test(value)) return;
    try {
      into.push(...templatePaths(value));
    } catch (error) {
      // A malformed template is `autopilot check`'s to report; it reads no variable here.
      if (!isAutopilotError(error, 'AP_TEMPLATE_INVALID')) throw error;
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectPaths(item, into);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.fact === 'vars' && typeof record.path === 'string') into.push(`vars.${record.path}`);
    for (const item of Object.values(record)) collectPaths(item, into);
  }
}

/** Reads the named variables; a scope the event has no id for reads as empty. */
export async function loadVars(
  get: (key: string) => Promise<unknown>,
  wanted: readonly VarRef[],
  owner: VarOwner,
): Promise<VarsFact> {
  const fact = emptyVars();
  await Promise.all(
    wanted.map(async ({ scope, name }) => {
      let key: string;
      try {
        key = varKey(scope, owner, name);
      } catch (error) {
        if (!isAutopilotError(error, 'AP_RULE_INVALID')) throw error;
        return;
      }
      const value = await get(key);
      if (value !== undefined) fact[scope][name] = value;
    }),
  );
  return fact;
}
