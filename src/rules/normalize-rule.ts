import { createHash } from 'node:crypto';
import { STEP_KEYS } from './action-names.ts';
import type { ActionSpec, Choice, ConditionNode, RetryOverride, Rule, Trigger } from './rule.ts';

/** A rule as written, after it passed the schema. */
interface RuleData {
  id: string;
  description?: string;
  enabled?: boolean;
  mode?: Rule['mode'];
  on: Trigger;
  when?: ConditionNode;
  do: Record<string, unknown>[];
  allow_self?: boolean;
  max_depth?: number;
  retry?: RetryOverride;
}

/** The Rule model: defaults applied, steps as ActionSpec, and a version hash of the content. */
export function normalizeRule(data: unknown, file: string): Rule {
  const written = data as RuleData;
  const content: Omit<Rule, 'version' | 'source'> = {
    id: written.id,
    ...(written.description === undefined ? {} : { description: written.description }),
    enabled: written.enabled ?? true,
    mode: written.mode ?? 'live',
    on: written.on,
    ...(written.when === undefined ? {} : { when: written.when }),
    do: written.do.map(toActionSpec),
    allow_self: written.allow_self ?? false,
    ...(written.max_depth === undefined ? {} : { max_depth: written.max_depth }),
    ...(written.retry === undefined ? {} : { retry: written.retry }),
  };
  return { ...content, version: ruleVersion(content), source: { file } };
}

function toActionSpec(step: Record<string, unknown>): ActionSpec {
  const type = Object.keys(step).find((k) => !STEP_KEYS.has(k)) as string;
  const { params, innerRecheck, body, choices } = stepBody(type, step[type]);
  const recheck = (step.recheck ?? innerRecheck) as boolean | ConditionNode | undefined;
  const spec: ActionSpec = {
    type,
    ...(typeof step.name === 'string' ? { name: step.name } : {}),
    params,
    ...(recheck === undefined ? {} : { recheck: recheck !== false }),
  };
  if (recheck !== undefined && typeof recheck === 'object') spec.recheckWhen = recheck;
  if (step.when !== undefined) spec.when = step.when as ConditionNode;
  if (Array.isArray(step.else)) spec.else = step.else.map((s) => toActionSpec(s as Record<string, unknown>));
  if (body) spec.do = body;
  if (choices) spec.choices = choices;
  return spec;
}

/** The params of one step as written; a for_each's `do` and a choose's pairs apart from them. */
function stepBody(
  type: string,
  value: unknown,
): { params: Record<string, unknown>; innerRecheck?: unknown; body?: ActionSpec[]; choices?: Choice[] } {
  if (type === 'wait') return { params: { duration: value } };
  if (type === 'wait_until') return { params: { at: value } };
  if (type === 'choose') {
    const pairs = (value as Array<{ when: ConditionNode; do: Record<string, unknown>[] }>).map((pair) => ({
      when: pair.when,
      do: pair.do.map(toActionSpec),
    }));
    return { params: {}, choices: pairs };
  }
  const { recheck: innerRecheck, ...params } = value as Record<string, unknown>;
  if (type === 'for_each') {
    const { do: body, ...rest } = params;
    return { params: rest, innerRecheck, body: (body as Record<string, unknown>[]).map(toActionSpec) };
  }
  return { params, innerRecheck };
}

/** Short sha256 of the canonical JSON (sorted keys): stable across key order and formatting. */
export function ruleVersion(content: unknown): string {
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
