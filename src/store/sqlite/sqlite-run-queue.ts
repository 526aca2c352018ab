/**
 * RunQueue on SQLite. A lane's head is its active (queued or running) run with the lowest
 * position; only heads are claimable, which gives FIFO and one run at a time per lane. The head
 * is kept as a flag (`is_head`) maintained on every change that adds a run to a lane or takes one
 * out, so claiming reads one small index. Every lease-guarded change checks the lease inside the
 * same write transaction as the change.
 */
import { AutopilotError } from '../../errors.ts';
import type { Run } from '../../plan/run.ts';
import {
  PARKED_WAKE_BATCH,
  type ActionResult,
  type QueueStats,
  type RunError,
  type RunFilter,
  type RunQueue,
  type RunRecord,
  type RunWake,
} from '../ports.ts';
import type { Params, SqliteDb } from './database.ts';
import { encodeJson } from './json-codec.ts';
import { requireCount, requireId } from '../input-checks.ts';
import { parkingInput, progressJson, resumedWakeJson } from '../parking-input.ts';
import { runListQuery } from './run-list-query.ts';
import { checkReplan, checkRun } from '../input-checks.ts';
import { ACTIVE_STATES, RUN_COLUMNS, runKeys, toRunRecord, type RunRow } from './run-rows.ts';

/**
 * The two statements of every claim, exported so their query plans can be checked
 * (test/store/sqlite-query-plans.test.ts): due parked runs through runs_state (state, run_at),
 * then claimable lane heads through the partial index runs_heads, neither a scan of the table.
 */
export const WAKE_DUE_PARKED_SQL = `SELECT seq, lane, run_at FROM runs WHERE state = 'parked' AND run_at <= :now
  ORDER BY run_at, seq LIMIT :limit`;
export const CLAIM_HEADS_SQL = `SELECT ${RUN_COLUMNS} FROM runs
  WHERE is_head = 1 AND run_at <= :now AND (lease_until IS NULL OR lease_until <= :now)
  ORDER BY priority, run_at, position LIMIT :limit`;

export class SqliteRunQueue implements RunQueue {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  async enqueue(runs: Run[], now: number): Promise<string[]> {
    const rows = runs.map((run) => ({ run, json: encodeJson(checkRun(run), `run ${run.id}`) }));
    if (rows.length === 0) return [];
    return this.#db.write(() => {
      let position = this.#reservePositions(rows.length);
      const added: string[] = [];
      for (const { run, json } of rows) {
        const { changes } = this.#db.run(
          `INSERT INTO runs (id, event_id, rule_id, lane, priority, position, state, is_head, run_at,
             run_json, updated_at)
           VALUES (:id, :eventId, :ruleId, :lane, :priority, :position, 'queued',
             NOT EXISTS (SELECT 1 FROM runs WHERE lane = :lane AND ${ACTIVE_STATES}), :now, :json, :now)
           ON CONFLICT (id) DO NOTHING`,
          { ...runKeys(run), position: position++, now, json },
        );
        if (changes === 1) added.push(run.id);
      }
      return added;
    });
  }

  async claim(owner: string, limit: number, leaseMs: number, now: number): Promise<RunRecord[]> {
    requireId('owner', owner);
    requireCount('limit', limit);
    requireCount('leaseMs', leaseMs);
    return this.#db.write(() => {
      this.#wakeDueParked(now);
      const rows = this.#db.all<RunRow>(CLAIM_HEADS_SQL, { now, limit });
      return rows.map((row) => {
        const leased = {
          ...row,
          state: 'running' as const,
          lease_owner: owner,
          lease_until: now + leaseMs,
          claims: row.claims + 1,
        };
        this.#db.run(
          `UPDATE runs SET state = 'running', lease_owner = :owner, lease_until = :until, updated_at = :now,
             claims = claims + 1
           WHERE seq = :seq`,
          { owner, until: leased.lease_until, now, seq: row.seq },
        );
        return toRunRecord({ ...leased, updated_at: now });
      });
    });
  }

  async extendLease(runId: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    requireCount('leaseMs', leaseMs);
    return this.#db.write(() => {
      const { changes } = this.#db.run(
        `UPDATE runs SET lease_until = :until
         WHERE id = :id AND state = 'running' AND lease_owner = :owner AND lease_until > :now`,
        { id: runId, owner, until: now + leaseMs, now },
      );
      return changes === 1;
    });
  }

  async checkpoint(runId: string, owner: string, result: ActionResult, now: number): Promise<void> {
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'checkpoint');
      if (result?.index !== row.next_action) {
        throw new AutopilotError(
          'AP_STORE_BAD_INPUT',
          `run ${runId}: checkpoint of action ${String(result?.index)} but the next unfinished action is ${row.next_action}`,
          { runId, index: result?.index, nextAction: row.next_action },
        );
      }
      const results = `${row.results_json.slice(0, -1)}${row.results_json === '[]' ? '' : ','}${encodeJson(result, 'action result')}]`;
      this.#db.run(
        `UPDATE runs SET results_json = :results, next_action = next_action + 1, attempt = 0,
           first_attempt_at = NULL, progress_json = NULL, wake_json = NULL, updated_at = :now, claims = 0
         WHERE seq = :seq`,
        { results, now, seq: row.seq },
      );
    });
  }

  async saveProgress(runId: string, owner: string, progress: unknown, now: number): Promise<void> {
    const json = progressJson(progress);
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'saveProgress');
      this.#db.run(
        `UPDATE runs SET progress_json = :json, attempt = 0, first_attempt_at = NULL, wake_json = NULL,
           updated_at = :now, claims = 0
         WHERE seq = :seq`,
        { json, now, seq: row.seq },
      );
    });
  }

  async park(
    runId: string,
    owner: string,
    parking: { until: number; progress: unknown },
    now: number,
  ): Promise<void> {
    const { until, progress } = parkingInput(parking);
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'park');
      this.#leaveLane(row, { state: 'parked', now, runAt: until, progress });
    });
  }

  async resume(runId: string, resumption: { data?: unknown }, now: number): Promise<boolean> {
    const json = resumedWakeJson(resumption, now);
    return this.#db.write(() => {
      const row = this.#db.get<{ seq: number; lane: string }>(
        `SELECT seq, lane FROM runs WHERE id = :id AND state = 'parked'`,
        { id: runId },
      );
      if (!row) return false;
      this.#backToLane(row, now, now, json);
      return true;
    });
  }

  async reschedule(
    runId: string,
    owner: string,
    runAt: number,
    now: number,
    retry?: { attempt: number; firstAttemptAt: number; error?: RunError },
  ): Promise<void> {
    const error = retry?.error === undefined ? undefined : encodeJson(retry.error, 'run error');
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'reschedule');
      const params: Params = { runAt, now, seq: row.seq };
      let retrySet = '';
      if (retry) {
        retrySet = ', attempt = :attempt, first_attempt_at = :firstAttemptAt';
        Object.assign(params, { attempt: retry.attempt, firstAttemptAt: retry.firstAttemptAt });
        if (error !== undefined) {
          retrySet += ', last_error_json = :error';
          params.error = error;
        }
      }
      this.#db.run(
        `UPDATE runs SET state = 'queued', run_at = :runAt, lease_owner = NULL, lease_until = NULL,
           updated_at = :now, claims = max(claims - 1, 0)${retrySet}
         WHERE seq = :seq`,
        params,
      );
    });
  }

  async complete(runId: string, owner: string, state: 'succeeded' | 'skipped', now: number): Promise<void> {
    if (state !== 'succeeded' && state !== 'skipped') {
      throw new AutopilotError(
        'AP_STORE_BAD_INPUT',
        `a run completes as succeeded or skipped, not ${String(state)}`,
      );
    }
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'complete');
      this.#leaveLane(row, { state, now });
    });
  }

  async deadLetter(runId: string, owner: string, error: RunError, now: number): Promise<void> {
    const errorJson = encodeJson(error, 'run error');
    this.#db.write(() => {
      const row = this.#leased(runId, owner, now, 'deadLetter');
      this.#leaveLane(row, { state: 'dead', now, error: errorJson });
    });
  }

  async release(runId: string, owner: string, now: number): Promise<void> {
    this.#db.write(() => {
      this.#db.run(
        `UPDATE runs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = :now,
           claims = max(claims - 1, 0)
         WHERE id = :id AND state = 'running' AND lease_owner = :owner`,
        { id: runId, owner, now },
      );
    });
  }

  async requeue(runId: string, now: number, plan?: Run): Promise<boolean> {
    const json = plan === undefined ? undefined : encodeJson(checkRun(plan), `run ${runId}`);
    return this.#db.write(() => {
      const row = this.#db.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = :id`, { id: runId });
      if (row?.state !== 'dead') return false;
      if (plan !== undefined) checkReplan(toRunRecord(row).run, plan);
      const laneBusy = this.#db.get(
        `SELECT 1 AS busy FROM runs WHERE lane = :lane AND ${ACTIVE_STATES} LIMIT 1`,
        {
          lane: row.lane,
        },
      );
      this.#db.run(
        `UPDATE runs SET state = 'queued', is_head = :isHead, position = :position, run_at = :now,
           attempt = 0, first_attempt_at = NULL, updated_at = :now, run_json = coalesce(:json, run_json),
           claims = 0
         WHERE seq = :seq`,
        {
          isHead: laneBusy ? 0 : 1,
          position: this.#reservePositions(1),
          now,
          seq: row.seq,
          json: json ?? null,
        },
      );
      return true;
    });
  }

  async drop(runId: string): Promise<boolean> {
    return this.#db.write(
      () => this.#db.run(`DELETE FROM runs WHERE id = :id AND state = 'dead'`, { id: runId }).changes === 1,
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const row = this.#db.read(() =>
      this.#db.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = :id`, { id: runId }),
    );
    return row && toRunRecord(row);
  }

  async list(filter: RunFilter): Promise<RunRecord[]> {
    const { sql, params } = runListQuery(filter);
    return this.#db.read(() => this.#db.all<RunRow>(sql, params)).map(toRunRecord);
  }

  async stats(now: number): Promise<QueueStats> {
    return this.#db.snapshot(() => {
      const depth = this.#db.get<{ n: number }>(`SELECT count(*) AS n FROM runs WHERE ${ACTIVE_STATES}`);
      const dead = this.#db.get<{ n: number }>(`SELECT count(*) AS n FROM runs WHERE state = 'dead'`);
      const parked = this.#db.get<{ n: number }>(`SELECT count(*) AS n FROM runs WHERE state = 'parked'`);
      const oldest = this.#db.get<{ runAt: number | null }>(
        `SELECT min(run_at) AS runAt FROM runs WHERE state = 'queued' AND run_at <= :now`,
        { now },
      );
      return {
        depth: depth?.n ?? 0,
        parked: parked?.n ?? 0,
        oldestDueAgeMs: oldest?.runAt == null ? 0 : now - oldest.runAt,
        dead: dead?.n ?? 0,
      };
    });
  }

  async purge(olderThan: number): Promise<number> {
    return this.#db.write(
      () =>
        this.#db.run(`DELETE FROM runs WHERE state IN ('succeeded', 'skipped') AND updated_at < :olderThan`, {
          olderThan,
        }).changes,
    );
  }

  /** The run's lease fields if `owner` holds an unexpired lease on it; otherwise a clear error. */
  #leased(runId: string, owner: string, now: number, operation: string): LeaseRow {
    const row = this.#db.get<LeaseRow>(
      `SELECT seq, lane, state, lease_owner, lease_until, next_action, results_json FROM runs WHERE id = :id`,
      { id: runId },
    );
    if (!row) throw new AutopilotError('AP_NOT_FOUND', `run ${runId} does not exist`, { runId });
    const held = row.state === 'running' && row.lease_owner === owner && (row.lease_until ?? 0) > now;
    if (!held) {
      const holder =
        row.state === 'running'
          ? `leased to ${row.lease_owner} until ${row.lease_until}`
          : `in state ${row.state}`;
      throw new AutopilotError(
        'AP_LEASE_LOST',
        `run ${runId}: ${operation} by ${owner} refused, it no longer holds the lease (the run is ${holder})`,
        { runId, owner, state: row.state, leaseOwner: row.lease_owner, leaseUntil: row.lease_until },
      );
    }
    return row;
  }

  /**
   * Finishes, dead-letters or parks the head of a lane and makes the next active run the head.
   * Parking sets the wake-up time and the progress; every way out clears `wake`.
   */
  #leaveLane(
    row: LeaseRow,
    change: {
      state: 'succeeded' | 'skipped' | 'dead' | 'parked';
      now: number;
      error?: string;
      runAt?: number;
      progress?: string;
    },
  ): void {
    const parking = change.state === 'parked' ? ', run_at = :runAt, progress_json = :progress' : '';
    this.#db.run(
      `UPDATE runs SET state = :state, is_head = 0, lease_owner = NULL, lease_until = NULL, updated_at = :now,
         last_error_json = coalesce(:error, last_error_json), wake_json = NULL, claims = 0${parking}
       WHERE seq = :seq`,
      {
        state: change.state,
        now: change.now,
        error: change.error ?? null,
        seq: row.seq,
        ...(parking ? { runAt: change.runAt ?? change.now, progress: change.progress ?? null } : {}),
      },
    );
    this.#db.run(
      `UPDATE runs SET is_head = 1 WHERE seq =
         (SELECT seq FROM runs WHERE lane = :lane AND ${ACTIVE_STATES} ORDER BY position LIMIT 1)`,
      { lane: row.lane },
    );
  }

  /** Due parked runs back to the end of their lanes, oldest due first (index runs_state). */
  #wakeDueParked(now: number): void {
    const due = this.#db.all<{ seq: number; lane: string; run_at: number }>(WAKE_DUE_PARKED_SQL, {
      now,
      limit: PARKED_WAKE_BATCH,
    });
    const wake = encodeJson({ reason: 'due', at: now } satisfies RunWake, 'wake');
    for (const row of due) this.#backToLane(row, row.run_at, now, wake);
  }

  /** A parked run back to queued at the end of its lane, due at `runAt`, with why it woke. */
  #backToLane(row: { seq: number; lane: string }, runAt: number, now: number, wakeJson: string): void {
    this.#db.run(
      `UPDATE runs SET state = 'queued', position = :position, run_at = :runAt, wake_json = :wake,
         is_head = NOT EXISTS (SELECT 1 FROM runs WHERE lane = :lane AND ${ACTIVE_STATES}), updated_at = :now
       WHERE seq = :seq`,
      { position: this.#reservePositions(1), runAt, now, wake: wakeJson, lane: row.lane, seq: row.seq },
    );
  }

  /** Reserves `count` consecutive lane positions; returns the first. */
  #reservePositions(count: number): number {
    const row = this.#db.get<{ value: number }>(
      `UPDATE counters SET value = value + :count WHERE name = 'run_position' RETURNING value`,
      { count },
    );
    return (row?.value ?? count) - count + 1;
  }
}

type LeaseRow = Pick<
  RunRow,
  'seq' | 'lane' | 'state' | 'lease_owner' | 'lease_until' | 'next_action' | 'results_json'
> & { [column: string]: unknown };
