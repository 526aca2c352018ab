/**
 * Poison events and runs: what counts against them, and the error that dead-letters them. A
 * failure of the API or of a store (anything the error catalogue calls retryable, and refused
 * credentials, which an operator fixes) says nothing about the event or run itself, so it never
 * counts: an outage must not fill the dead-letter queue.
 */
import { ERROR_CATALOGUE, isAutopilotError } from '../errors.ts';
import type { RunError } from '../store/ports.ts';

export function faultOf(error: unknown): { error: RunError; counted: boolean } {
  if (isAutopilotError(error)) {
    const counted = !ERROR_CATALOGUE[error.code].retryable && error.code !== 'AP_API_AUTH';
    return { error: { code: error.code, message: error.message }, counted };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { error: { code: 'AP_INTERNAL', message: `${name}: ${message}` }, counted: true };
}

/** The dead letter's error: how often it was tried, and its last failure when one was seen. */
export function poisonError(claims: number, last: RunError | undefined): RunError {
  const tried = `claimed ${claims} time${claims === 1 ? '' : 's'} without finishing`;
  return {
    code: 'AP_POISON',
    message: last
      ? `${tried}; last error: ${last.code}: ${last.message}`
      : `${tried}: its processing stopped the process every time`,
  };
}
