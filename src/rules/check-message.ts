/** What the schema cannot say about a `message` action: it has exactly one body, and a digest's window. */
import { digestWindowMs } from '../actions/digest.ts';
import { invalid, messageOf } from './check-support.ts';
import type { RuleIssue } from './diagnostic.ts';

const BODIES = ['text', 'card', 'card_file'] as const;

export function checkMessage(params: Record<string, unknown>, at: RuleIssue['path']): RuleIssue[] {
  const given = BODIES.filter((key) => params[key] !== undefined);
  const issues = checkDigest(params, given, at);
  if (given.length === 1) return issues;
  const message =
    given.length === 0
      ? "'message' needs a body: text, card or card_file"
      : `'message' takes one body, got ${given.join(' and ')}: keep one`;
  return [{ ...invalid(at, message), atKey: true }, ...issues];
}

/** `digest:` is a window from 1m to 7d, written out (no template), over a text. */
function checkDigest(params: Record<string, unknown>, bodies: string[], at: RuleIssue['path']): RuleIssue[] {
  if (params.digest === undefined) return [];
  const digestAt = [...at, 'digest'];
  if (typeof params.digest !== 'string') return [invalid(digestAt, 'digest: give a window such as 1h')];
  if (params.digest.includes('{{'))
    return [invalid(digestAt, 'digest: the window is written out (such as 1h), not a template')];
  const issues: RuleIssue[] = [];
  try {
    digestWindowMs(params.digest);
  } catch (error) {
    issues.push(invalid(digestAt, messageOf(error)));
  }
  const card = bodies.find((b) => b !== 'text');
  if (card) issues.push(invalid([...at, card], `digest: collects text messages only, not a ${card}`));
  return issues;
}
