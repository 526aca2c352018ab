/**
 * How each Open API error code is handled, as data. Every row is traceable to the error tables
 * of the API reference (README §7.1 "General error table", §7.2 "Additional codes", and the
 * table of `50006` inner messages); `readme` keeps the reference's own class.
 *
 * Our classes are fewer than the reference's: its `conflict` becomes `permanent` (the state must
 * be re-read and the rule decides; repeating the same call cannot help), except `10430`, which
 * means our idempotent write already took effect, and the `50006` "workflow transitioning"
 * conflict, which the reference says to retry after a wait. Codes not listed are `permanent`.
 */
import type { OutcomeClass } from './types.ts';

export type ReadmeClass =
  'auth' | 'rate-limited' | 'retryable-transient' | 'conflict' | 'permanent-client-error' | 'overloaded';

export interface CodeRow {
  readonly code: number;
  readonly class: OutcomeClass;
  readonly readme: ReadmeClass;
  readonly section: '7.1' | '7.2';
}

const row = (code: number, cls: OutcomeClass, readme: ReadmeClass, section: '7.1' | '7.2'): CodeRow => ({
  code,
  class: cls,
  readme,
  section,
});

export const ERROR_CODE_ROWS: readonly CodeRow[] = [
  row(10001, 'auth', 'auth', '7.1'),
  row(10002, 'permanent', 'conflict', '7.1'),
  row(10021, 'auth', 'auth', '7.1'),
  row(10022, 'auth', 'auth', '7.1'),
  row(10210, 'auth', 'auth', '7.1'),
  row(10211, 'auth', 'auth', '7.1'),
  row(10301, 'auth', 'auth', '7.1'),
  row(10302, 'auth', 'auth', '7.1'),
  row(10404, 'auth', 'auth', '7.1'),
  row(10429, 'rate_limited', 'rate-limited', '7.1'),
  row(10430, 'already_applied', 'conflict', '7.1'),
  row(20007, 'permanent', 'conflict', '7.1'),
  row(20008, 'permanent', 'conflict', '7.1'),
  row(20016, 'permanent', 'conflict', '7.1'),
  row(20017, 'permanent', 'conflict', '7.1'),
  row(20037, 'permanent', 'conflict', '7.1'),
  row(20039, 'auth', 'auth', '7.1'),
  row(20042, 'auth', 'auth', '7.1'),
  row(50006, 'transient', 'overloaded', '7.1'),
  row(10023, 'auth', 'auth', '7.2'),
  row(50005, 'transient', 'retryable-transient', '7.2'),
  row(1000050262, 'transient', 'retryable-transient', '7.2'),
  row(1000051195, 'auth', 'auth', '7.2'),
  row(1000051256, 'auth', 'auth', '7.2'),
];

export interface InnerMessageRow {
  /** Matched case-insensitively as a substring of the inner `err.msg` or the outer `err_msg`. */
  readonly contains: string;
  readonly class: OutcomeClass;
  readonly readme: ReadmeClass;
}

const inner = (contains: string, cls: OutcomeClass, readme: ReadmeClass): InnerMessageRow => ({
  contains,
  class: cls,
  readme,
});

/** `50006` is overloaded: the inner message decides. First match wins; no match is `transient`. */
export const ERR_50006_MESSAGES: readonly InnerMessageRow[] = [
  inner('Unable to edit', 'auth', 'auth'),
  inner('No right to edit', 'auth', 'auth'),
  inner('Task has been finished', 'permanent', 'conflict'),
  inner('cannot be completed because task', 'permanent', 'permanent-client-error'),
  inner('Sub Task Not Completed', 'permanent', 'permanent-client-error'),
  inner('too many docs', 'permanent', 'permanent-client-error'),
  inner('Failed to process role owners', 'permanent', 'permanent-client-error'),
  inner('Current template has been banned', 'permanent', 'permanent-client-error'),
  inner('template not found', 'permanent', 'permanent-client-error'),
  inner('WorkItemValue Limit Exceeded', 'permanent', 'permanent-client-error'),
  inner('Should Be Passed', 'permanent', 'permanent-client-error'),
  inner('Node schedule shall not be less than', 'permanent', 'permanent-client-error'),
  inner('Due to the administrator configuration update', 'permanent', 'permanent-client-error'),
  inner('Failed to check field', 'permanent', 'permanent-client-error'),
  inner('This node no longer exists', 'permanent', 'permanent-client-error'),
  inner('The quantity of single batch updates exceeds the limit', 'permanent', 'permanent-client-error'),
  inner('user not found', 'permanent', 'permanent-client-error'),
  inner('Node workflow transitioning', 'transient', 'conflict'),
  inner('workflow is in transition', 'transient', 'conflict'),
  inner('openapi system err', 'transient', 'retryable-transient'),
  inner('fail to read/write db', 'transient', 'retryable-transient'),
  inner('elastic: Error 502', 'transient', 'retryable-transient'),
  inner('workflow err', 'transient', 'retryable-transient'),
  inner('RPC Call Error This type does not support', 'transient', 'retryable-transient'),
];

/** Codes after which the cached plugin token is dropped and the call may be repeated once. */
export const TOKEN_RETRY_CODES: ReadonlySet<number> = new Set([10021, 10022, 10211]);

const BY_CODE: ReadonlyMap<number, CodeRow> = new Map(ERROR_CODE_ROWS.map((r) => [r.code, r]));

/** The class of a non-zero business code (the `50006` messages are consulted for that code). */
export function classOfCode(code: number, messages: readonly string[]): OutcomeClass {
  if (code === 50006) return classOf50006(messages);
  return BY_CODE.get(code)?.class ?? 'permanent';
}

function classOf50006(messages: readonly string[]): OutcomeClass {
  const lower = messages.map((m) => m.toLowerCase());
  const match = ERR_50006_MESSAGES.find((r) => lower.some((m) => m.includes(r.contains.toLowerCase())));
  return match?.class ?? 'transient';
}
