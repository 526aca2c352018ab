/**
 * RunQueue on Redis: each operation is one Lua script (./redis-run-queue-scripts.ts), so lanes,
 * leases and indexes change atomically whatever the number of engine processes. Same semantics
 * as the SQLite queue: only a lane's oldest active run is claimable (FIFO, one at a time), higher
 * priority first, then runAt, then queue order; leases are checked inside the script that writes.
 *
 * Durability is Redis's: with `appendonly yes` and `appendfsync everysec` a crash of Redis itself
 * can lose the last second of changes (the start-up check warns when AOF is off).
 */
import type { Redis } from 'ioredis';
import { AutopilotError } from '../../errors.ts';
import type { Run } from '../../plan/run.ts';
import {
  PARKED_WAKE_BATCH,
  PRIORITY_RANK,
  type ActionResult,
  type QueueStats,
  type RunError,
  type RunFilter,
  type RunQueue,
  type RunRecord,
  type RunState,
  type RunWake,
} from '../ports.ts';
import { checkReplan, checkRun, requireCount, requireId } from '../input-checks.ts';
import { parkingInput, progressJson, resumedWakeJson } from '../parking-input.ts';
import { decodeJson, encodeJson } from '../sqlite/json-codec.ts';
import * as scripts from './redis-run-queue-scripts.ts';
import type { RedisScript } from './redis-script.ts';
import { guarded } from './store-error.ts';

const DEFAULT_LIST_LIMIT = 1000;
const PURGE_BATCH = 500;

type Fields = Array<string | null>;
type Refusal = ['NOT_FOUND'] | ['LEASE_LOST', string, string, string] | ['BAD_INDEX', string] | ['OK'];

export class RedisRunQueue implements RunQueue {
  readonly #redis: Redis;
  readonly #base: string;

  /** `prefix` namespaces the keys; one hash tag keeps them in one cluster slot. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#base = `${prefix}{runs}:`;
  }

  async enqueue(runs: Run[], now: number): Promise<string[]> {
    const args: string[] = [String(now)];
    for (const run of runs) {
      checkRun(run);
      args.push(
        run.id,
        encodeJson(run, `run ${run.id}`),
        run.lane,
        String(PRIORITY_RANK[run.priority]),
        run.ruleId,
        run.eventId,
      );
    }
    if (runs.length === 0) return [];
    return (await this.#run(scripts.ENQUEUE, args)) as string[];
  }

  async claim(owner: string, limit: number, leaseMs: number, now: number): Promise<RunRecord[]> {
    requireId('owner', owner);
    requireCount('limit', limit);
    requireCount('leaseMs', leaseMs);
    const rows = (await this.#run(scripts.CLAIM, [
      owner,
      limit,
      leaseMs,
      now,
      PARKED_WAKE_BATCH,
    ])) as Fields[];
    return rows.map(toRunRecord);
  }

  async extendLease(runId: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    requireCount('leaseMs', leaseMs);
    return (await this.#run(scripts.EXTEND_LEASE, [runId, owner, leaseMs, now])) === 1;
  }

  async checkpoint(runId: string, owner: string, result: ActionResult, now: number): Promise<void> {
    const json = encodeJson(result, 'action result');
    const reply = await this.#run(scripts.CHECKPOINT, [runId, owner, now, String(result?.index), json]);
    this.#accept(reply as Refusal, runId, owner, 'checkpoint', result?.index);
  }

  async saveProgress(runId: string, owner: string, progress: unknown, now: number): Promise<void> {
    const reply = await this.#run(scripts.SAVE_PROGRESS, [runId, owner, now, progressJson(progress)]);
    this.#accept(reply as Refusal, runId, owner, 'saveProgress');
  }

  async park(
    runId: string,
    owner: string,
    parking: { until: number; progress: unknown },
    now: number,
  ): Promise<void> {
    const { until, progress } = parkingInput(parking);
    const reply = await this.#run(scripts.PARK, [runId, owner, now, until, progress]);
    this.#accept(reply as Refusal, runId, owner, 'park');
  }

  async resume(runId: string, resumption: { data?: unknown }, now: number): Promise<boolean> {
    return (await this.#run(scripts.RESUME, [runId, now, resumedWakeJson(resumption, now)])) === 1;
  }

  async reschedule(
    runId: string,
    owner: string,
    runAt: number,
    now: number,
    retry?: { attempt: number; firstAttemptAt: number; error?: RunError },
  ): Promise<void> {
    const error = retry?.error === undefined ? '' : encodeJson(retry.error, 'run error');
    const retryArgs = retry ? ['1', retry.attempt, retry.firstAttemptAt, error] : ['', '', '', ''];
    const reply = await this.#run(scripts.RESCHEDULE, [runId, owner, runAt, now, ...retryArgs]);
    this.#accept(reply as Refusal, runId, owner, 'reschedule');
  }

  async complete(runId: string, owner: string, state: 'succeeded' | 'skipped', now: number): Promise<void> {
    if (state !== 'succeeded' && state !== 'skipped') {
      throw new AutopilotError(
        'AP_STORE_BAD_INPUT',
        `a run completes as succeeded or skipped, not ${String(state)}`,
      );
    }
    const reply = await this.#run(scripts.FINISH, [runId, owner, now, state, '']);
    this.#accept(reply as Refusal, runId, owner, 'complete');
  }

  async deadLetter(runId: string, owner: string, error: RunError, now: number): Promise<void> {
    const json = encodeJson(error, 'run error');
    const reply = await this.#run(scripts.FINISH, [runId, owner, now, 'dead', json]);
    this.#accept(reply as Refusal, runId, owner, 'deadLetter');
  }

  async release(runId: string, owner: string, now: number): Promise<void> {
    await this.#run(scripts.RELEASE, [runId, owner, now]);
  }

  async requeue(runId: string, now: number, plan?: Run): Promise<boolean> {
    let json = '';
    if (plan !== undefined) {
      const current = await this.get(runId);
      if (current?.state !== 'dead') return false;
      checkReplan(current.run, plan);
      json = encodeJson(checkRun(plan), `run ${runId}`);
    }
    return (await this.#run(scripts.REQUEUE, [runId, now, json])) === 1;
  }

  async drop(runId: string): Promise<boolean> {
    return (await this.#run(scripts.DROP, [runId])) === 1;
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const fields = await guarded('Redis', () =>
      this.#redis.hmget(`${this.#base}run:${runId}`, ...scripts.RECORD_FIELDS),
    );
    return fields[0] === null ? undefined : toRunRecord(fields);
  }

  async list(filter: RunFilter): Promise<RunRecord[]> {
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    requireCount('limit', limit);
    const states: RunState[] =
      filter.state === undefined ? [] : Array.isArray(filter.state) ? filter.state : [filter.state];
    // An empty list of states matches nothing (as SQL's `IN ()` would).
    if (filter.state !== undefined && states.length === 0) return [];
    const rows = (await this.#run(scripts.LIST, [
      limit,
      states.join(','),
      filter.ruleId ?? '',
      filter.eventId ?? '',
      filter.lane ?? '',
    ])) as Fields[];
    return rows.map(toRunRecord);
  }

  async stats(now: number): Promise<QueueStats> {
    const [depth, oldest, dead, parked] = (await this.#run(scripts.STATS, [now])) as [
      number,
      string,
      number,
      number,
    ];
    return { depth, parked, oldestDueAgeMs: oldest === '' ? 0 : now - Number(oldest), dead };
  }

  async purge(olderThan: number): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = (await this.#run(scripts.PURGE, [olderThan, PURGE_BATCH])) as number;
      total += removed;
      if (removed < PURGE_BATCH) return total;
    }
  }

  #run(script: RedisScript, args: ReadonlyArray<string | number>): Promise<unknown> {
    return guarded('Redis', () => script.run(this.#redis, [this.#base], args));
  }

  /** Turns a lease-guarded script's refusal into the port's errors. */
  #accept(reply: Refusal, runId: string, owner: string, operation: string, index?: number): void {
    switch (reply[0]) {
      case 'OK':
        return;
      case 'NOT_FOUND':
        throw new AutopilotError('AP_NOT_FOUND', `run ${runId} does not exist`, { runId });
      case 'BAD_INDEX':
        throw new AutopilotError(
          'AP_STORE_BAD_INPUT',
          `run ${runId}: checkpoint of action ${String(index)} but the next unfinished action is ${reply[1]}`,
          { runId, index, nextAction: Number(reply[1]) },
        );
      case 'LEASE_LOST': {
        const [, state, leaseOwner, leaseUntil] = reply;
        const holder =
          state === 'running' ? `leased to ${leaseOwner} until ${leaseUntil}` : `in state ${state}`;
        throw new AutopilotError(
          'AP_LEASE_LOST',
          `run ${runId}: ${operation} by ${owner} refused, it no longer holds the lease (the run is ${holder})`,
          {
            runId,
            owner,
            state,
            leaseOwner: leaseOwner || null,
            leaseUntil: leaseUntil === '' ? null : Number(leaseUntil),
          },
        );
      }
    }
  }
}

function toRunRecord(fields: Fields): RunRecord {
  const [run, state, nextAction, attempt, firstAttemptAt, runAt, results, lastError, updatedAt] = fields;
  const [leaseOwner, leaseUntil, , progress, wake, claims] = fields.slice(9);
  const record: RunRecord = {
    run: decodeJson(run!) as Run,
    state: state as RunState,
    nextAction: Number(nextAction),
    attempt: Number(attempt),
    runAt: Number(runAt),
    results: decodeJson(results!) as ActionResult[],
    updatedAt: Number(updatedAt),
  };
  if (firstAttemptAt) record.firstAttemptAt = Number(firstAttemptAt);
  if (lastError) record.lastError = decodeJson(lastError) as RunError;
  const cursor = progress ? decodeJson(progress) : null;
  if (cursor !== null) record.progress = cursor;
  if (wake) record.wake = decodeJson(wake) as RunWake;
  if (Number(claims) > 0) record.claims = Number(claims);
  if (state === 'running' && leaseOwner && leaseUntil) {
    record.leaseOwner = leaseOwner;
    record.leaseUntil = Number(leaseUntil);
  }
  return record;
}
