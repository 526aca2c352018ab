/**
 * Deterministic ids for runs and actions. Every write sends `X-IDEM-UUID` = UUIDv5 of (event id,
 * rule id, rule version, action index): the same event planned again, after a crash or a
 * redelivery, produces the same keys, so the API applies each write once.
 */
import { v5 as uuidv5 } from 'uuid';

/** fp-autopilot's own UUIDv5 namespace; changing it would change every key ever issued. */
export const IDEMPOTENCY_NAMESPACE = 'dda858fe-8fa2-42b7-8312-f4591bb515c1';

/**
 * `step` is a top-level action's index, or a nested step's path (`2/i7/0`: step 0 of iteration 7
 * of the for_each at index 2; docs/design/run-program.md §3). An index gives the keys issued
 * before nested steps existed.
 */
export function idempotencyKey(
  eventId: string,
  ruleId: string,
  ruleVersion: string,
  step: number | string,
): string {
  return uuidv5(`${eventId}\n${ruleId}\n${ruleVersion}\n${step}`, IDEMPOTENCY_NAMESPACE);
}

/** Runs are unique per (event id, rule id). */
export function runId(eventId: string, ruleId: string): string {
  return uuidv5(`run\n${eventId}\n${ruleId}`, IDEMPOTENCY_NAMESPACE);
}
