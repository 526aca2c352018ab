/**
 * The one function that decides what happens after an API attempt: done, retry at T, refresh the
 * token and repeat, or dead letter. Pure: the outcome, the attempt history, the rule's override
 * and a random source go in; a decision comes out. Fed by the error table of the Open API README
 * through the client's classification (`ApiOutcome.class`).
 */
import { parseDuration } from '../rules/duration.ts';
import type { ApiOutcome, OutcomeClass } from '../openapi/types.ts';
import type { RetryOverride } from '../rules/rule.ts';
import type { RunError } from '../store/ports.ts';

export interface RetrySettings {
  maxAttempts: number;
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Full-jitter exponential backoff from 1 s up to 60 s, at most 10 attempts or 24 h. */
export const DEFAULT_RETRY: RetrySettings = {
  maxAttempts: 10,
  maxElapsedMs: 24 * 3600_000,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

/**
 * Conflict codes that mean the action's intent already holds, per action type: completing a
 * node that is completed (20017), restoring an item that is not aborted (20008), aborting an
 * aborted one (20007).
 */
const INTENT_ALREADY_HOLDS: Record<string, readonly number[]> = {
  complete_node: [20017],
  restore: [20008],
  abort: [20007],
};

export interface RetryInput {
  outcome: ApiOutcome;
  /** The action's type as written in the rule (complete_node, abort, ...). */
  actionType: string;
  /** Attempts of this action made so far, counting the one whose outcome this is (1-based). */
  attempt: number;
  /** When this action was first attempted. */
  firstAttemptAt: number;
  now: number;
  /** Whether the token was already dropped once for this action. */
  tokenRefreshed: boolean;
  /** The rule's `retry:` override, if any. */
  override?: RetryOverride;
  /** Defaults from configuration; the rule's override wins field by field. */
  defaults?: RetrySettings;
  /** Uniform in [0, 1). */
  random: () => number;
}

export type RetryDecision =
  | { kind: 'done'; outcome: 'done' | 'already_applied' }
  /** `attemptsUsed`: attempts to record for the action; a rate limit does not use one up. */
  | { kind: 'retry'; at: number; attemptsUsed: number; reason: 'transient' | 'rate_limited'; error: RunError }
  | { kind: 'refresh_token' }
  | { kind: 'dead'; error: RunError };

const CODE_BY_CLASS: Record<OutcomeClass, RunError['code']> = {
  ok: 'AP_INTERNAL',
  rate_limited: 'AP_API_RATE_LIMITED',
  transient: 'AP_API_TRANSIENT',
  auth: 'AP_API_AUTH',
  already_applied: 'AP_API_ALREADY_APPLIED',
  permanent: 'AP_API_PERMANENT',
};

export function decideRetry(input: RetryInput): RetryDecision {
  const { outcome } = input;
  switch (outcome.class) {
    case 'ok':
      return { kind: 'done', outcome: 'done' };
    case 'already_applied':
      return { kind: 'done', outcome: 'already_applied' };
    case 'auth':
      return input.tokenRefreshed
        ? dead(input, 'refused again after a fresh token')
        : { kind: 'refresh_token' };
    case 'permanent':
      if (intentAlreadyHolds(input.actionType, outcome.errCode))
        return { kind: 'done', outcome: 'already_applied' };
      return dead(input, 'refused permanently');
    case 'rate_limited':
      return retryOrGiveUp(input, 'rate_limited');
    case 'transient':
      return retryOrGiveUp(input, 'transient');
  }
}

function retryOrGiveUp(input: RetryInput, reason: 'transient' | 'rate_limited'): RetryDecision {
  const s = retrySettings(input.override, input.defaults);
  // A 10429 means our limiter and the server disagree for a moment: wait a short, jittered
  // while without using up an attempt; the elapsed-time cap still ends it.
  const attemptsUsed = reason === 'rate_limited' ? input.attempt - 1 : input.attempt;
  if (reason === 'transient' && input.attempt >= s.maxAttempts) {
    return dead(input, `gave up after ${input.attempt} attempts`);
  }
  const exponent = reason === 'rate_limited' ? 0 : input.attempt - 1;
  const ceiling = Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** exponent);
  const delay = Math.floor(input.random() * ceiling);
  const at = input.now + Math.max(1, delay);
  if (at - input.firstAttemptAt > s.maxElapsedMs) {
    return dead(input, `gave up after ${input.attempt} attempts over ${input.now - input.firstAttemptAt} ms`);
  }
  return { kind: 'retry', at, attemptsUsed, reason, error: toRunError(input.outcome, reason) };
}

export function intentAlreadyHolds(actionType: string, errCode: number | undefined): boolean {
  return errCode !== undefined && (INTENT_ALREADY_HOLDS[actionType]?.includes(errCode) ?? false);
}

function dead(input: RetryInput, why: string): RetryDecision {
  const error = toRunError(input.outcome, why);
  return { kind: 'dead', error };
}

/** The API's error, kept whole for the dead-letter queue and the audit. */
export function toRunError(outcome: ApiOutcome, why: string): RunError {
  const what =
    outcome.errCode !== undefined ? `${outcome.errCode} ${outcome.errMsg ?? ''}`.trim() : undefined;
  const detail =
    what ?? outcome.networkError ?? (outcome.httpStatus ? `HTTP ${outcome.httpStatus}` : 'no answer');
  const error: RunError = { code: CODE_BY_CLASS[outcome.class], message: `${why}: ${detail}` };
  if (outcome.errCode !== undefined) error.errCode = outcome.errCode;
  const errMsg = [outcome.errMsg, outcome.innerMsg].filter((m) => m && m.length > 0).join(' / ');
  if (errMsg) error.errMsg = errMsg;
  if (outcome.logId) error.logId = outcome.logId;
  if (outcome.httpStatus !== undefined) error.httpStatus = outcome.httpStatus;
  return error;
}

/** The rule's `retry:` override applied over the defaults. Throws on a malformed duration. */
export function retrySettings(
  override?: RetryOverride,
  defaults: RetrySettings = DEFAULT_RETRY,
): RetrySettings {
  if (!override) return defaults;
  return {
    maxAttempts: override.max_attempts ?? defaults.maxAttempts,
    maxElapsedMs: override.max_elapsed ? parseDuration(override.max_elapsed) : defaults.maxElapsedMs,
    baseDelayMs: override.base_delay ? parseDuration(override.base_delay) : defaults.baseDelayMs,
    maxDelayMs: override.max_delay ? parseDuration(override.max_delay) : defaults.maxDelayMs,
  };
}
