/**
 * Rules checked against the secrets an environment has: every `{{secrets.NAME}}` must name a set
 * `AUTOPILOT_SECRET_<NAME>` (one with a `default(...)` may go without). Asked where the set is
 * known: `autopilot check --secrets`, and the engine's load and reload (which logs them).
 */
import { isAutopilotError } from '../errors.ts';
import { parseTemplate } from '../templates/parse.ts';
import { record } from './check-support.ts';
import type { RuleDiagnostic, RuleIssue } from './diagnostic.ts';
import { locate } from './locate.ts';
import type { Rule } from './rule.ts';
import { parseYamlSafely } from './yaml-safe.ts';
import { secretEnvName } from './secret-names.ts';

/** Each `{{secrets.NAME}}` of loaded rules that `known` lacks, at its file:line:column. */
export function unsetSecrets(rules: readonly Rule[], known: ReadonlySet<string>): RuleDiagnostic[] {
  const diagnostics: RuleDiagnostic[] = [];
  for (const rule of rules) {
    const text = rule.source.text;
    if (text === undefined || !text.includes('secrets.')) continue;
    const yaml = parseYamlSafely(text);
    for (const issue of unknownSecretIssues(yaml.value, known)) {
      const inner = issue.offset === undefined ? undefined : { source: text, offset: issue.offset };
      const at = locate(yaml.doc, yaml.lineCounter, issue.path, false, inner);
      diagnostics.push({ file: rule.source.file, ...at, code: issue.code, message: issue.message });
    }
  }
  return diagnostics;
}

/** Issues for the secrets a rule document names that are not among `known` (upper-case names). */
export function unknownSecretIssues(document: unknown, known: ReadonlySet<string>): RuleIssue[] {
  const issues: RuleIssue[] = [];
  walk(document, [], (text, path) => {
    for (const { name, raw } of secretReferences(text)) {
      if (known.has(name.toUpperCase())) continue;
      issues.push({
        path,
        offset: text.indexOf(raw),
        code: 'AP_SECRET_UNKNOWN',
        message: `${raw}: no secret '${name}' is set (set ${secretEnvName(name)} or ${secretEnvName(name)}_FILE)`,
      });
    }
  });
  return issues;
}

function secretReferences(text: string): { name: string; raw: string }[] {
  if (!text.includes('{{')) return [];
  let parts;
  try {
    parts = parseTemplate(text);
  } catch (error) {
    // A malformed template is reported by the template check; it names no secret here.
    if (isAutopilotError(error, 'AP_TEMPLATE_INVALID')) return [];
    throw error;
  }
  const found: { name: string; raw: string }[] = [];
  for (const part of parts) {
    if (part.kind !== 'expr') continue;
    const [root, name] = part.path.split('.');
    if (root !== 'secrets' || !name) continue;
    if (part.formatters.some((f) => f.name === 'default')) continue;
    found.push({ name, raw: part.raw });
  }
  return found;
}

type Visit = (text: string, path: (string | number)[]) => void;

function walk(value: unknown, path: (string | number)[], visit: Visit): void {
  const map = record(value);
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i], visit));
  else if (map) for (const [key, item] of Object.entries(map)) walk(item, [...path, key], visit);
}
