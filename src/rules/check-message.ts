/** What the schema cannot say about a `message` action: it has exactly one body. */
import { invalid } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';

const BODIES = ['text', 'card', 'card_file'] as const;

export function checkMessage(params: Record<string, unknown>, at: RuleIssue['path']): RuleIssue[] {
  const given = BODIES.filter((key) => params[key] !== undefined);
  if (given.length === 1) return [];
  const message =
    given.length === 0
      ? "'message' needs a body: text, card or card_file"
      : `'message' takes one body, got ${given.join(' and ')}: keep one`;
  return [{ ...invalid(at, message), atKey: true }];
}
