/** An outcome reported as an AutopilotError, for callers that throw rather than branch. */
import { AutopilotError, type ErrorCode } from '../errors.ts';
import type { ApiOutcome, OutcomeClass } from './types.ts';

const ERROR_OF_CLASS: Record<OutcomeClass, ErrorCode> = {
  ok: 'AP_INTERNAL',
  rate_limited: 'AP_API_RATE_LIMITED',
  transient: 'AP_API_TRANSIENT',
  auth: 'AP_API_AUTH',
  already_applied: 'AP_API_ALREADY_APPLIED',
  permanent: 'AP_API_PERMANENT',
};

/** The AutopilotError that reports an outcome (for callers that throw rather than branch). */
export function outcomeError(message: string, outcome: ApiOutcome): AutopilotError {
  const detail = [outcome.errCode, outcome.errMsg, outcome.innerMsg, outcome.networkError].filter(
    (p) => p !== undefined,
  );
  return new AutopilotError(ERROR_OF_CLASS[outcome.class], `${message}: ${detail.join(' ')}`.trim(), {
    outcome,
  });
}
