import { basename, extname } from 'node:path';
import { checkConditions } from './check-conditions.ts';
import { checkSteps } from './check-steps.ts';
import { durationIssue, invalid, record } from './check-support.ts';
import { checkTrigger } from './check-trigger.ts';
import type { RuleIssue } from './diagnostic.ts';

/**
 * The checks beyond the schema, run on whatever parsed, so one pass reports every problem. Each
 * check reads defensively: the data may also have failed the schema.
 */
export function checkRule(file: string, data: unknown): RuleIssue[] {
  const rule = record(data);
  if (!rule) return [];
  const on = record(rule.on) ?? {};
  return [
    ...idMatchesFile(file, rule.id),
    ...checkTrigger(on),
    ...checkConditions(rule.when, { hasCommand: typeof on.command === 'string' }),
    ...checkSteps(rule.do, on),
    ...checkRetry(record(rule.retry)),
  ];
}

/** The rule id a file must declare: its name without .yaml / .yml. */
export function idForFile(file: string): string {
  const ext = extname(file);
  return basename(file, ext === '.yaml' || ext === '.yml' ? ext : '');
}

function idMatchesFile(file: string, id: unknown): RuleIssue[] {
  const expected = idForFile(file);
  if (typeof id !== 'string' || id === expected) return [];
  return [invalid(['id'], `id '${id}' must equal the file name '${expected}' (rename the file or the id)`)];
}

function checkRetry(retry: Record<string, unknown> | undefined): RuleIssue[] {
  const issues: RuleIssue[] = [];
  for (const key of ['max_elapsed', 'base_delay', 'max_delay']) {
    const value = retry?.[key];
    if (typeof value === 'string') durationIssue(value, ['retry', key], issues);
  }
  return issues;
}
