/** Small helpers the rule checks share: issue constructors and defensive reads of parsed data. */
import { isAutopilotError } from '../errors.ts';
import type { RuleIssue } from './diagnostic.ts';
import { parseDuration } from './duration.ts';

/** Parses a duration, recording an issue at `path` when it is not one. */
export function durationIssue(
  text: string,
  path: RuleIssue['path'],
  issues: RuleIssue[],
): number | undefined {
  try {
    return parseDuration(text);
  } catch (error) {
    issues.push(invalid(path, messageOf(error)));
    return undefined;
  }
}

export function invalid(path: RuleIssue['path'], message: string): RuleIssue {
  return { path, code: 'AP_RULE_INVALID', message };
}

export function messageOf(error: unknown): string {
  if (isAutopilotError(error)) return error.message;
  throw error;
}

export function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
