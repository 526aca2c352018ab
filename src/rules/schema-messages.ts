/**
 * Turns ajv's errors into one clear message per problem, located by document path. ajv reports
 * every failed branch of an anyOf/oneOf; a rule author wants the one that applies.
 */
import type { ErrorObject } from 'ajv';
import { OPERATOR_NAMES } from '../match/operator-names.ts';
import { ACTION_NAMES, CONTROL_STEPS } from './action-names.ts';
import type { RuleIssue } from './diagnostic.ts';
import { FACT_ROOTS, STEP_FACTS } from './facts.ts';

/** Keywords that check a value's form; under an anyOf they only say which branch did not fit. */
const FORM_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'pattern',
  'minLength',
  'maxLength',
  'anyOf',
  'oneOf',
]);

export function schemaIssues(errors: readonly ErrorObject[]): RuleIssue[] {
  const dropped = new Set<ErrorObject>();
  const issues: RuleIssue[] = [];
  for (const error of errors) {
    if (error.keyword === 'oneOf' && requiredChoices(error)) issues.push(...oneKeyOf(error, errors, dropped));
  }
  for (const error of errors) {
    if (dropped.has(error) || !isAlternative(error)) continue;
    issues.push(...alternatives(error, errors, dropped));
  }
  for (const error of errors) {
    if (dropped.has(error) || isAlternative(error)) continue;
    issues.push(describe(error));
  }
  return issues;
}

function isAlternative(error: ErrorObject): boolean {
  return (error.keyword === 'anyOf' || error.keyword === 'oneOf') && !requiredChoices(error);
}

/** The keys of a oneOf whose branches each only require one key (a step's action, a trigger). */
function requiredChoices(error: ErrorObject): string[] | undefined {
  const branches = error.schema as { required?: string[] }[];
  const keys = branches.map((b) => (b.required?.length === 1 ? b.required[0] : undefined));
  return keys.every((k): k is string => k !== undefined) ? keys : undefined;
}

function oneKeyOf(error: ErrorObject, all: readonly ErrorObject[], dropped: Set<ErrorObject>): RuleIssue[] {
  const keys = requiredChoices(error) ?? [];
  const here = all.filter((e) => e.instancePath === error.instancePath);
  for (const e of here) {
    if (e === error || (e.keyword === 'required' && keys.includes(String(e.params.missingProperty))))
      dropped.add(e);
  }
  const present = keys.filter((k) => Object.hasOwn(asObject(error.data), k));
  const path = pathOf(error.instancePath);
  const isStep = /^\/do\/\d+$/.test(error.instancePath);
  if (present.length > 1) {
    // `manual` is the one trigger allowed beside another (event); it is not what clashes then.
    const clashing = present.includes('event') ? present.filter((k) => k !== 'manual') : present;
    const what = isStep
      ? 'a step has exactly one action; split them into separate steps'
      : `use only one of ${list(keys)}` +
        (keys.includes('manual') ? ' (manual: true may stand beside event only)' : '');
    return [
      { path, code: 'AP_RULE_SCHEMA', message: `${clashing.map(quote).join(' and ')} together: ${what}` },
    ];
  }
  // An unknown key already explains a step without a known action.
  if (here.some((e) => e.keyword === 'additionalProperties')) return [];
  const what = isStep ? `an action (${list(keys)})` : `one of ${list(keys)}`;
  return [{ path, code: 'AP_RULE_SCHEMA', message: `missing ${what}` }];
}

function alternatives(
  error: ErrorObject,
  all: readonly ErrorObject[],
  dropped: Set<ErrorObject>,
): RuleIssue[] {
  const at = error.instancePath;
  const formErrorsHere = all.filter((e) => e.instancePath === at && FORM_KEYWORDS.has(e.keyword));
  for (const e of formErrorsHere) dropped.add(e);
  // A branch that fits the value's shape failed on its contents: those errors say more.
  const contentErrors = all.some(
    (e) =>
      !dropped.has(e) &&
      (e.instancePath.startsWith(at + '/') || (e.instancePath === at && !FORM_KEYWORDS.has(e.keyword))),
  );
  if (contentErrors) return [];
  const innermost = formErrorsHere.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf') ?? error;
  const description =
    (innermost.parentSchema as { description?: string } | undefined)?.description ?? 'a valid value';
  return [
    {
      path: pathOf(at),
      code: 'AP_RULE_SCHEMA',
      message: `invalid value ${show(error.data)}: expected ${lowerFirst(description)}`,
    },
  ];
}

function describe(error: ErrorObject): RuleIssue {
  const path = pathOf(error.instancePath);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        path: [...path, String(p.additionalProperty)],
        atKey: true,
        code: 'AP_RULE_SCHEMA',
        message: unknownKey(error),
      };
    case 'required':
      return { path, code: 'AP_RULE_SCHEMA', message: `missing required key '${String(p.missingProperty)}'` };
    case 'enum':
      return { path, code: 'AP_RULE_SCHEMA', message: unknownValue(error) };
    case 'type':
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `expected ${article(String(p.type))}, got ${typeName(error.data)}`,
      };
    case 'pattern': {
      const description =
        (error.parentSchema as { description?: string }).description ?? `must match ${String(p.pattern)}`;
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `invalid value ${show(error.data)}: ${lowerFirst(description)}`,
      };
    }
    case 'dependencies':
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `'${String(p.property)}' needs ${String(p.deps).split(', ').map(quote).join(' and ')} beside it`,
      };
    case 'const': {
      const hint =
        error.instancePath === '/on/manual' ? "; leave 'manual' out for a rule not run by hand" : '';
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `invalid value ${show(error.data)}: must be ${show(p.allowedValue)}${hint}`,
      };
    }
    case 'minimum':
    case 'maximum':
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `must be at ${error.keyword === 'minimum' ? 'least' : 'most'} ${String(p.limit)}, got ${show(error.data)}`,
      };
    case 'minItems':
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`,
      };
    case 'uniqueItems':
      return {
        path,
        code: 'AP_RULE_SCHEMA',
        message: `items ${String(p.j)} and ${String(p.i)} are the same; list each once`,
      };
    default:
      return { path, code: 'AP_RULE_SCHEMA', message: error.message ?? `fails ${error.keyword}` };
  }
}

/** A step, at the top of `do` or in a nested block (a for_each's do, an else, a choose pair's do). */
const STEP_AT = /(^|\/)(do|else)\/\d+$/;
const STEP_PARAMS_AT = /(?:^|\/)(?:do|else)\/\d+\/([a-z_]+)$/;

function unknownKey(error: ErrorObject): string {
  const key = String(error.params.additionalProperty);
  const at = error.instancePath;
  if (STEP_AT.test(at)) {
    return `unknown action '${key}' (known actions: ${ACTION_NAMES.join(', ')}; control steps: ${CONTROL_STEPS.join(', ')})`;
  }
  const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
  const action = STEP_PARAMS_AT.exec(at)?.[1];
  if (action) {
    const hint = key === 'name' ? `; to name the step, write name: beside '${action}:'` : '';
    return `unknown param '${key}' for action '${action}' (allowed: ${allowed.join(', ')})${hint}`;
  }
  return `unknown key '${key}'` + (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '');
}

function unknownValue(error: ErrorObject): string {
  const allowed = (error.params.allowedValues as unknown[]).map(String);
  if (error.instancePath.endsWith('/operator') && allowed.join() === OPERATOR_NAMES.join()) {
    return `unknown operator ${show(error.data)} (known operators: ${allowed.join(', ')})`;
  }
  if (error.instancePath.endsWith('/fact') && allowed.join() === [...FACT_ROOTS, ...STEP_FACTS].join()) {
    return `unknown fact ${show(error.data)} (known facts: ${allowed.join(', ')})`;
  }
  return `invalid value ${show(error.data)}: must be one of ${allowed.join(', ')}`;
}

/** JSON Pointer → path segments (array indexes as numbers). */
export function pathOf(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function asObject(value: unknown): object {
  return value !== null && typeof value === 'object' ? value : {};
}

function list(keys: readonly string[]): string {
  return keys.join(', ');
}

function quote(s: string): string {
  return `'${s}'`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${article(typeof value)} ${show(value)}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a map',
    array: 'a list',
    integer: 'an integer',
    string: 'a string',
  };
  return names[type] ?? `a ${type}`;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? text.slice(0, 57) + '…' : text;
}
