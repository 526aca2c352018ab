/** How a run is laid out in the `runs` table and read back as a RunRecord. */
import type { Run } from '../../plan/run.ts';
import {
  PRIORITY_RANK,
  type ActionResult,
  type RunError,
  type RunRecord,
  type RunState,
  type RunWake,
} from '../ports.ts';
import type { Params } from './database.ts';
import { decodeJson } from './json-codec.ts';

export interface RunRow {
  [column: string]: unknown;
  seq: number;
  id: string;
  lane: string;
  state: RunState;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  next_action: number;
  attempt: number;
  first_attempt_at: number | null;
  run_json: string;
  results_json: string;
  last_error_json: string | null;
  updated_at: number;
  progress_json: string | null;
  wake_json: string | null;
  claims: number;
}

export const RUN_COLUMNS = `seq, id, lane, state, run_at, lease_owner, lease_until, next_action, attempt,
  first_attempt_at, run_json, results_json, last_error_json, updated_at, progress_json, wake_json, claims`;

/** States in which a run still occupies its lane. */
export const ACTIVE_STATES = "state IN ('queued', 'running')";

export function toRunRecord(row: RunRow): RunRecord {
  const record: RunRecord = {
    run: decodeJson(row.run_json) as Run,
    state: row.state,
    nextAction: row.next_action,
    attempt: row.attempt,
    runAt: row.run_at,
    results: decodeJson(row.results_json) as ActionResult[],
    updatedAt: row.updated_at,
  };
  if (row.first_attempt_at !== null) record.firstAttemptAt = row.first_attempt_at;
  if (row.last_error_json !== null) record.lastError = decodeJson(row.last_error_json) as RunError;
  const progress = row.progress_json === null ? null : decodeJson(row.progress_json);
  if (progress !== null) record.progress = progress;
  if (row.wake_json !== null) record.wake = decodeJson(row.wake_json) as RunWake;
  if (row.claims > 0) record.claims = row.claims;
  if (row.state === 'running' && row.lease_owner !== null && row.lease_until !== null) {
    record.leaseOwner = row.lease_owner;
    record.leaseUntil = row.lease_until;
  }
  return record;
}

/** The columns a run is indexed by. */
export function runKeys(run: Run): Params {
  return {
    id: run.id,
    eventId: run.eventId,
    ruleId: run.ruleId,
    lane: run.lane,
    priority: PRIORITY_RANK[run.priority],
  };
}
