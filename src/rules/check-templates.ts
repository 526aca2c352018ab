/**
 * Templates in a rule's steps: they parse, read known roots, and read each root only where it
 * exists: `steps.<name>` an earlier named step in scope, `item` / `index` inside a `for_each`,
 * `command` under on.command, `secrets` only in `http` headers and bodies and `api` bodies.
 */
import { isAutopilotError } from '../errors.ts';
import { varPathProblem } from '../match/vars-fact.ts';
import { parseTemplate } from '../templates/parse.ts';
import { record } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';
import { FACT_ROOTS, TEMPLATE_ONLY_ROOTS } from './facts.ts';
import { secretReferenceProblem } from './secret-names.ts';

/** Linked work items are facts of a rule's `when` only (read when the event is matched). */
const CONDITION_ONLY_ROOTS: ReadonlySet<string> = new Set(['related', 'parent']);
const TEMPLATE_ROOTS: ReadonlySet<string> = new Set(
  [...FACT_ROOTS, ...TEMPLATE_ONLY_ROOTS].filter((root) => !CONDITION_ONLY_ROOTS.has(root)),
);

export interface TemplateContext {
  /** Step names visible here (earlier steps of this block and the enclosing ones). */
  earlier: ReadonlySet<string>;
  hasCommand: boolean;
  /** Inside a for_each: `item` and `index` exist. */
  inLoop?: boolean;
  /** Where `{{secrets.*}}` may be read, as param paths relative to the walked value. */
  secretsAt?: ReadonlyArray<readonly string[]>;
}

/** Every string inside an action's params is a template (and every string of a card file). */
export function checkTemplates(
  value: unknown,
  path: RuleIssue['path'],
  context: TemplateContext,
  issues: RuleIssue[],
  inner: readonly (string | number)[] = [],
): void {
  if (typeof value === 'string') {
    issues.push(...templateIssues(value, path, context, inner));
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkTemplates(item, [...path, i], context, issues, [...inner, i]));
  } else if (record(value)) {
    for (const [key, item] of Object.entries(value as object))
      checkTemplates(item, [...path, key], context, issues, [...inner, key]);
  }
}

function templateIssues(
  text: string,
  path: RuleIssue['path'],
  context: TemplateContext,
  inner: readonly (string | number)[],
): RuleIssue[] {
  let parts;
  try {
    parts = parseTemplate(text);
  } catch (error) {
    if (!isAutopilotError(error, 'AP_TEMPLATE_INVALID')) throw error;
    const offset = error.details?.offset;
    return [
      { path, offset: typeof offset === 'number' ? offset : 0, code: error.code, message: error.message },
    ];
  }
  const issues: RuleIssue[] = [];
  for (const part of parts) {
    if (part.kind !== 'expr') continue;
    const problem = rootProblem(part.path, context, inner);
    if (problem) issues.push(templateError(path, text.indexOf(part.raw), `${part.raw}: ${problem}`));
  }
  return issues;
}

function rootProblem(
  path: string,
  context: TemplateContext,
  inner: readonly (string | number)[],
): string | undefined {
  const [root = '', second] = path.split('.');
  if (CONDITION_ONLY_ROOTS.has(root))
    return `'${root}' is a fact of the rule's when only; in templates use for_each: { related: ... } and {{item.*}}`;
  if (!TEMPLATE_ROOTS.has(root)) return `unknown root '${root}' (known: ${[...TEMPLATE_ROOTS].join(', ')})`;
  if (root === 'steps' && (second === undefined || !context.earlier.has(second))) {
    const known = context.earlier.size > 0 ? [...context.earlier].join(', ') : 'none';
    return `no earlier step is named '${second ?? ''}' (earlier named steps: ${known})`;
  }
  if (root === 'vars') {
    const problem = varPathProblem(path.slice('vars.'.length));
    if (problem) return problem;
  }
  if (root === 'command' && !context.hasCommand)
    return `'command' exists only for rules triggered by on.command`;
  if ((root === 'item' || root === 'index') && !context.inLoop)
    return `'${root}' exists only inside a for_each`;
  if (root === 'secrets') {
    const allowed = (context.secretsAt ?? []).some((prefix) => prefix.every((key, i) => inner[i] === key));
    if (!allowed) return 'secrets may be read only in http headers and body and in api body';
    return secretReferenceProblem(path.split('.').slice(1));
  }
  return undefined;
}

function templateError(path: RuleIssue['path'], offset: number, message: string): RuleIssue {
  return { path, offset, code: 'AP_TEMPLATE_INVALID', message: `invalid template: ${message}` };
}
