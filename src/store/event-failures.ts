/** What both event logs share about failed and dead-lettered events: how they are stored and read. */
import { AutopilotError } from '../errors.ts';
import type { RunError, StoredEvent } from './ports.ts';
import { decodeJson, encodeJson } from './sqlite/json-codec.ts';

export function errorJson(error: RunError | undefined): string | null {
  return error === undefined ? null : encodeJson(error, 'event error');
}

/** Adds the claims, last error and dead-letter time of a stored row, where there are any. */
export function withFailures(
  stored: StoredEvent,
  row: { claims: number; lastErrorJson: string | null; deadAt: number | undefined },
): StoredEvent {
  if (row.claims > 0) stored.claims = row.claims;
  if (row.lastErrorJson !== null) stored.lastError = decodeJson(row.lastErrorJson) as RunError;
  if (row.deadAt !== undefined) stored.deadAt = row.deadAt;
  return stored;
}

export function notUnprocessed(eventId: string): AutopilotError {
  return new AutopilotError('AP_NOT_FOUND', `event ${eventId} is not waiting to be processed`, { eventId });
}
