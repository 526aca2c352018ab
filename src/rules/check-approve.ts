/**
 * What the schema cannot say about an `approve` step: its timeout is a duration of at most a
 * year, its time zone is one the engine knows, and approvers written out are user keys.
 */
import { durationIssue, invalid } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';
import { parseDuration } from './duration.ts';
import { isTimeZone } from './time-zone.ts';

const MAX_TIMEOUT_MS = parseDuration('365d');
const USER_KEY = /^\d{1,24}$/;

export function approveIssues(params: Record<string, unknown>, at: RuleIssue['path']): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (typeof params.timeout === 'string') {
    const ms = durationIssue(params.timeout, [...at, 'timeout'], issues);
    if (ms !== undefined && ms > MAX_TIMEOUT_MS)
      issues.push(invalid([...at, 'timeout'], `approve: timeout ${params.timeout} is longer than 365d`));
  }
  if (typeof params.timezone === 'string' && !isTimeZone(params.timezone)) {
    issues.push(invalid([...at, 'timezone'], `approve: unknown time zone '${params.timezone}'`));
  }
  const approvers = Array.isArray(params.approvers) ? params.approvers : [params.approvers];
  approvers.forEach((entry, i) => {
    if (typeof entry !== 'string' || entry.includes('{{') || USER_KEY.test(entry)) return;
    const path = Array.isArray(params.approvers) ? [...at, 'approvers', i] : [...at, 'approvers'];
    issues.push(
      invalid(path, `approve: approver '${entry}' is not a Feishu Project user key (digits) nor a template`),
    );
  });
  return issues;
}
