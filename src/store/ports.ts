/**
 * The storage ports. Callers depend only on these interfaces; the embedded profile implements
 * them on one SQLite file (src/store/sqlite/), the cluster profile on PostgreSQL and Redis.
 * Both pass the same conformance suites (test/store/conformance/).
 *
 * Every method that resolves has made its effect durable (a crash after the promise resolves
 * loses nothing).
 */
import type { Event } from '../events/event.ts';
import type { Run, RunPriority } from '../plan/run.ts';

// ---------------------------------------------------------------- event log

export interface StoredEvent {
  event: Event;
  /** Epoch ms when it was appended. */
  receivedAt: number;
  processedAt?: number;
  /**
   * Claims that ended without a verdict (the processor stopped, or the event itself failed),
   * this one included when the event was just claimed; absent when none.
   */
  claims?: number;
  /** The last failure of its processing. */
  lastError?: RunError;
  /** When it was dead-lettered (taken out of processing for good). */
  deadAt?: number;
}

/** How a claimed event's processing failed (see `EventLog.recordFailure`). */
export interface EventFailure {
  error?: RunError;
  /**
   * True when the event itself is at fault (a bug, data no code path expected): the claim stays
   * counted toward the poison limit. False when the API or a store failed, or the event waited
   * behind another of its work item: the claim is taken back, so an outage never dead-letters it.
   */
  counted: boolean;
  /**
   * When the event may be claimed again, if sooner than its lease runs out: the processor that
   * saw the failure knows it is not crashed, so the event need not wait a whole lease.
   * @defaultValue the end of its lease
   */
  retryAt?: number;
}

export interface EventLog {
  /** Appends unless an event with the same id was stored before (dedupe, kept ≥ retention). */
  append(event: Event, now: number): Promise<{ inserted: boolean }>;
  /**
   * Optional: appends several events in one durable write (one disk sync for all), with the
   * results in order; an id repeated within the batch is a duplicate after its first
   * occurrence. All or nothing: on failure nothing is stored. Intake batches concurrent
   * deliveries through it when the store has it.
   */
  appendMany?(events: readonly Event[], now: number): Promise<Array<{ inserted: boolean }>>;
  /**
   * Claims up to `limit` unprocessed events in arrival order, leasing them to `owner` until
   * `now + leaseMs`; an event whose lease expired is claimable again (its processor crashed).
   * Each claim is counted (`claims`) until a verdict: processed, dead-lettered, or a failure
   * that was not the event's fault. Dead-lettered events are never claimed.
   */
  claimUnprocessed(owner: string, limit: number, leaseMs: number, now: number): Promise<StoredEvent[]>;
  /**
   * Records a claimed event's failed processing; the lease stays, shortened to `retryAt` when
   * that is sooner, so the event is claimed again once it runs out. `AP_NOT_FOUND` for an event
   * that is not unprocessed.
   */
  recordFailure(eventId: string, failure: EventFailure, now: number): Promise<void>;
  /**
   * Takes an unprocessed event out of processing for good (a poison event), with the error that
   * condemned it; it stays until retention purges it. `AP_NOT_FOUND` when it is not unprocessed.
   */
  deadLetter(eventId: string, error: RunError, now: number): Promise<void>;
  /** Dead-lettered events, oldest first. @defaultValue limit 1000 */
  listDead(limit?: number): Promise<StoredEvent[]>;
  /** A dead-lettered event back to unprocessed, its claims forgotten; false when it is not dead. */
  requeueDead(eventId: string, now: number): Promise<boolean>;
  /** Deletes a dead-lettered event (its id keeps deduplicating); false when it is not dead. */
  dropDead(eventId: string): Promise<boolean>;
  /** Idempotent (the first `processedAt` stays); `AP_NOT_FOUND` for an id never appended. */
  markProcessed(eventId: string, now: number): Promise<void>;
  get(eventId: string): Promise<StoredEvent | undefined>;
  /** Number of events not yet processed nor dead-lettered (for metrics and readiness). */
  pendingCount(): Promise<number>;
  /**
   * Optional (backtests): the events received in [since, until), in arrival order, one page at a
   * time; pass the previous page's `next` as `after` for the next one (absent: no more).
   */
  listReceived?(query: EventPageQuery): Promise<EventPage>;
  /**
   * Deletes processed events received before `olderThan`; returns how many (dead letters stay
   * until retried or dropped). Their ids keep
   * deduplicating appends for the dedupe retention (≥ 72 h) even when `olderThan` is more recent.
   */
  purge(olderThan: number): Promise<number>;
}

export interface EventPageQuery {
  since: number;
  until: number;
  /** The cursor of the previous page. */
  after?: string;
  /** @defaultValue 500 */
  limit?: number;
}

export interface EventPage {
  events: StoredEvent[];
  next?: string;
}

// ---------------------------------------------------------------- run queue

/**
 * `parked`: waiting for a time or a decision (a `wait` step, an approval) outside its lane, as a
 * dead run is, so it never blocks the work item's other runs (docs/design/run-program.md).
 */
export type RunState = 'queued' | 'running' | 'parked' | 'succeeded' | 'skipped' | 'dead';

/** Every run state, in the order lists and filters show them. */
export const RUN_STATES: readonly RunState[] = [
  'queued',
  'running',
  'parked',
  'succeeded',
  'skipped',
  'dead',
];

export interface ActionResult {
  index: number;
  /** `not_taken`: the step's `when` was false and it had no `else`; the run went on. */
  outcome: 'done' | 'already_applied' | 'skipped' | 'shadow' | 'not_taken';
  /** The API's `data` (or a summary) so later steps can use `{{steps.N.field}}`. */
  data?: unknown;
  finishedAt: number;
}

export interface RunError {
  /** Our code (ErrorCode) plus the API's own details where there were any. */
  code: string;
  message: string;
  errCode?: number;
  errMsg?: string;
  logId?: string;
  httpStatus?: number;
}

/** Why a parked run woke up, kept for the step that parked until it has used it. */
export interface RunWake {
  /** `due`: its time came (a wait's end, an approval's timeout); `resumed`: `resume` was called. */
  reason: 'due' | 'resumed';
  /** Epoch ms when it woke. */
  at: number;
  /** What `resume` passed (e.g. an approval decision). */
  data?: unknown;
}

export interface RunRecord {
  run: Run;
  state: RunState;
  /** First action not yet finished; a resumed run starts here. */
  nextAction: number;
  /**
   * The cursor inside the top-level step `nextAction` (for_each iteration, branch taken, nested
   * results; src/executor/program/progress.ts). Cleared by `checkpoint`.
   */
  progress?: unknown;
  /** Set once a parked run woke up, until the step that parked consumed it. */
  wake?: RunWake;
  /** Attempts of the current action so far. */
  attempt: number;
  /** When the current action was first attempted (for the max-elapsed retry limit). */
  firstAttemptAt?: number;
  runAt: number;
  results: ActionResult[];
  lastError?: RunError;
  updatedAt: number;
  /**
   * Claims since the run last made progress (a finished or saved step, a park, an end), this one
   * included when it was just claimed; absent when none. A claim the run gave back without being
   * at fault (`reschedule`, `release`) is taken back. Counted toward the poison limit
   * (`executor.maxClaims`): a run whose processing throws or stops the process every time.
   */
  claims?: number;
  /** Who holds the lease and until when, while `running`. */
  leaseOwner?: string;
  leaseUntil?: number;
}

/** Runs come back in queue order (oldest enqueued or requeued first). */
export interface RunFilter {
  state?: RunState | RunState[];
  ruleId?: string;
  eventId?: string;
  lane?: string;
  /** @defaultValue 1000 */
  limit?: number;
}

export interface QueueStats {
  /** Runs queued or running (parked runs wait outside and do not count). */
  depth: number;
  /** Runs parked until a time or a decision. */
  parked: number;
  /** Age in ms of the oldest queued run that is due, 0 when none. */
  oldestDueAgeMs: number;
  dead: number;
}

/**
 * Lanes and dead letters: a dead run leaves its lane, so later runs of the same work item proceed
 * (one broken run must not stall a work item forever); `requeue` puts it back at the END of its
 * lane, behind whatever was enqueued meanwhile. A parked run leaves its lane the same way and
 * comes back at the end of it when it wakes. Operations that need the lease (`checkpoint`,
 * `saveProgress`, `park`, `reschedule`, `complete`, `deadLetter`) check it atomically with their
 * write and throw `AP_LEASE_LOST` when `owner` no longer holds an unexpired lease, `AP_NOT_FOUND`
 * for an unknown run; `release` is a no-op when the lease is not held.
 *
 * Claims (`RunRecord.claims`): every `claim` counts one; `checkpoint`, `saveProgress`, `park`,
 * `complete` and `deadLetter` (progress or an end) set the count to 0; `reschedule` and `release`
 * take their claim back (one less, never below 0); `requeue` starts again at 0. A lease taken back
 * from a gone process keeps its count: the run may be what stopped it.
 */
export interface RunQueue {
  /** Enqueues each run unless one with the same id exists; returns ids actually added. */
  enqueue(runs: Run[], now: number): Promise<string[]>;
  /**
   * Claims up to `limit` due runs: only the oldest unfinished run of each lane is eligible (FIFO,
   * one at a time per lane), higher priority first (chat > webhook > background), then runAt.
   * Leased to `owner` until `now + leaseMs`; an expired lease makes the run claimable again.
   * First, parked runs whose `runAt` has come (at most PARKED_WAKE_BATCH per call, found through
   * an index on due time) go back to the end of their lanes, with `wake.reason` `due`.
   */
  claim(owner: string, limit: number, leaseMs: number, now: number): Promise<RunRecord[]>;
  /** False when `owner` no longer holds the lease: an expired lease counts as lost, even if unclaimed. */
  extendLease(runId: string, owner: string, leaseMs: number, now: number): Promise<boolean>;
  /** Records one finished action and advances `nextAction`; resets attempt counting, clears progress and wake. */
  checkpoint(runId: string, owner: string, result: ActionResult, now: number): Promise<void>;
  /** Saves the cursor inside the current step (a nested step finished); resets attempts, clears wake. */
  saveProgress(runId: string, owner: string, progress: unknown, now: number): Promise<void>;
  /**
   * Parks the run until `until` with `progress`: it leaves its lane (the lane's next run becomes
   * head), the lease is released, wake is cleared.
   */
  park(
    runId: string,
    owner: string,
    parking: { until: number; progress: unknown },
    now: number,
  ): Promise<void>;
  /**
   * Wakes a parked run now, at the end of its lane, with `wake = {reason: 'resumed', at: now, data}`.
   * Atomic: false when the run is not parked (already woken, timed out, unknown), so concurrent
   * resumes wake it once.
   */
  resume(runId: string, resumption: { data?: unknown }, now: number): Promise<boolean>;
  /** Releases the lease and makes the run due again at `runAt` (retry, or waiting for the limiter). */
  reschedule(
    runId: string,
    owner: string,
    runAt: number,
    now: number,
    retry?: { attempt: number; firstAttemptAt: number; error?: RunError },
  ): Promise<void>;
  complete(runId: string, owner: string, state: 'succeeded' | 'skipped', now: number): Promise<void>;
  deadLetter(runId: string, owner: string, error: RunError, now: number): Promise<void>;
  /** Gives the lease back without changing anything else (graceful shutdown). */
  release(runId: string, owner: string, now: number): Promise<void>;
  /**
   * Dead run back to queued at its first unfinished action, attempts reset. With `plan`, the run
   * continues with that plan instead of its own (planned again with the current rule version;
   * same run id, event, rule and lane; finished results are kept).
   */
  requeue(runId: string, now: number, plan?: Run): Promise<boolean>;
  /** Removes a dead run for good. */
  drop(runId: string): Promise<boolean>;
  get(runId: string): Promise<RunRecord | undefined>;
  list(filter: RunFilter): Promise<RunRecord[]>;
  stats(now: number): Promise<QueueStats>;
  /** Deletes succeeded and skipped runs last updated before `olderThan`; returns how many. */
  purge(olderThan: number): Promise<number>;
}

export const PRIORITY_RANK: Record<RunPriority, number> = { chat: 0, webhook: 1, background: 2 };

/** Most parked runs one `claim` wakes; more wait for the next claim (a few ms later). */
export const PARKED_WAKE_BATCH = 100;

// ---------------------------------------------------------------- audit

export type AuditKind =
  | 'event.stored'
  | 'event.duplicate'
  | 'event.skipped'
  | 'event.processed'
  | 'event.dead_lettered'
  | 'rule.matched'
  | 'rule.not_matched'
  | 'rule.error'
  | 'run.planned'
  | 'run.shadow'
  | 'action.attempted'
  | 'action.retry_scheduled'
  | 'action.skipped'
  | 'run.parked'
  | 'run.woken'
  | 'step.branch'
  | 'step.items'
  | 'step.var'
  | 'approval.clicked'
  | 'run.succeeded'
  | 'run.dead_lettered'
  | 'run.requeued'
  | 'run.dropped'
  | 'loop_stopped'
  | 'breaker_open'
  | 'webhook.missed'
  | 'record.skipped'
  | 'rule.drifted'
  | 'rule.fits';

export interface AuditRecord {
  at: number;
  kind: AuditKind;
  eventId?: string;
  ruleId?: string;
  runId?: string;
  /** `projectKey:workItemId` when known. */
  workItem?: string;
  actionIndex?: number;
  /** The decision's details: condition trace, request summary, outcome, duration, error. */
  detail?: Record<string, unknown>;
}

/** All given filters must hold. `since` is inclusive, `until` exclusive. */
export interface AuditQuery {
  eventId?: string;
  ruleId?: string;
  runId?: string;
  workItem?: string;
  kind?: AuditKind | AuditKind[];
  since?: number;
  until?: number;
  /** @defaultValue 1000 */
  limit?: number;
  /**
   * `oldest` first (the story of an event in order) or `newest` first (recent activity); records
   * with the same `at` keep the order they were recorded in.
   * @defaultValue 'oldest'
   */
  order?: 'oldest' | 'newest';
}

export interface AuditStore {
  /** Stores all entries or none. */
  record(entries: AuditRecord[]): Promise<void>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes records with `at` before `olderThan`; returns how many. */
  purge(olderThan: number): Promise<number>;
}

// ---------------------------------------------------------------- small state (pollers, schedules)

/** Records a prefix purge leaves in place: those whose top-level `field` is the text `equals`. */
export interface PurgeKeep {
  field: string;
  equals: string;
}

/** Values are JSON (bigints survive as bigints); `undefined` cannot be stored. */
export interface StateStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  /** Sets only when the current value equals `expected` (undefined = absent). */
  compareAndSet(key: string, expected: unknown, value: unknown): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Deletes the keys starting with `prefix` last set before `olderThan`; returns how many. For
   * per-work-item records that are only useful for a while (`causation:`, `webhook-change:`).
   * With `keep`, records whose top-level `field` is the text `equals` stay whatever their age
   * (an approval still open).
   */
  purgePrefix(prefix: string, olderThan: number, keep?: PurgeKeep): Promise<number>;
  /**
   * Applies `change` to the variable at `key` atomically across processes, and at most once per
   * `opId` (the step's idempotency key): the op is recorded under `var-op:<opId>` in the same
   * transaction, so a step retried after a crash gets back the value its first application gave
   * (`repeated: true`) and changes nothing. An increment starts an absent variable at 0;
   * `AP_VAR_NOT_NUMBER` when the value is not a number.
   */
  updateVar(key: string, change: VarChange, opId: string): Promise<VarUpdate>;
}

/**
 * What a `set` or `increment` step does to a variable, or a digest (`message` with `digest:`)
 * to its list of collected items: `digest_add` appends one item unless the digest was closed
 * (its answer says whether it was added), `digest_close` closes it and answers every item.
 */
export type VarChange =
  | { kind: 'set'; value: unknown }
  | { kind: 'increment'; by: number }
  | { kind: 'digest_add'; item: DigestItem }
  | { kind: 'digest_close' };

/** One message collected into a digest. */
export interface DigestItem {
  /** The collecting step's op id: the same item collected again is recognised. */
  id: string;
  text: string;
  /** Epoch ms when it was collected. */
  at: number;
}

/** A digest's stored value: its items in the order they came, and whether its window was sent. */
export interface DigestList {
  items: DigestItem[];
  closed?: true;
}

/** The answer of a `digest_add`: false `added` means the digest was closed before it came. */
export interface DigestAdded {
  added: boolean;
  count: number;
}

/** Where digests keep their items (purged with retention, well after their window was sent). */
export const DIGEST_PREFIX = 'digest:';

export interface VarUpdate {
  /**
   * The variable's value after the change; for `digest_add` a DigestAdded, for `digest_close`
   * the closed DigestList.
   */
  value: unknown;
  /** True when `opId` had been applied before: nothing changed this time. */
  repeated: boolean;
}

/** Where `updateVar` records the ops it applied (purged with retention; the variables are not). */
export const VAR_OP_PREFIX = 'var-op:';

// ---------------------------------------------------------------- audit read models (dashboard)

/** One processed event as the dashboard lists it, kept with the audit (and purged with it). */
export interface EventSummary {
  eventId: string;
  /** When it was processed (epoch ms). */
  at: number;
  type?: string;
  source?: string;
  /** `projectKey:workItemId` when the event has one. */
  workItem?: string;
  /** The work item's name when the event or the match read it. */
  workItemName?: string;
  /** Rules whose trigger fitted the event, and those that matched. */
  candidates: number;
  matchedRules: string[];
  /** Runs of this event that succeeded, and that are dead letters now. */
  succeeded: number;
  dead: number;
}

/** All given filters must hold; newest first; `before` is the `next` cursor of the previous page. */
export interface EventListQuery {
  type?: string;
  workItem?: string;
  /** Events this rule was a candidate for (matched or not). */
  ruleId?: string;
  /** An event id, a work item id (with or without `project:`), or text of the work item's name. */
  text?: string;
  status?: 'matched' | 'unmatched' | 'failed';
  since?: number;
  until?: number;
  before?: string;
  /** @defaultValue 50 */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: string;
}

/** Audit records counted per hour, kind and rule (`ruleId` absent: all rules together). */
export interface AuditCount {
  /** Start of the hour, epoch ms. */
  bucket: number;
  kind: AuditKind;
  ruleId?: string;
  n: number;
  /** The newest record counted here. */
  lastAt: number;
}

export const COUNT_BUCKET_MS = 3_600_000;

export interface CountQuery {
  since: number;
  until?: number;
  /** One row per rule (and kind) instead of the all-rules totals. */
  perRule?: boolean;
  ruleId?: string;
  /** The hours added up: one row per kind (and rule), `bucket` the first hour counted. */
  summed?: boolean;
}

/** The kinds `AuditViews.problems` returns (an index of their own keeps the look-up short). */
export const PROBLEM_KINDS: readonly AuditKind[] = [
  'rule.error',
  'run.dead_lettered',
  'loop_stopped',
  'breaker_open',
];

/**
 * Summaries kept beside the audit as it is recorded (one event row per processed event, counts
 * per hour), so the dashboard's pages stay fast with millions of records.
 */
export interface AuditViews {
  listEvents(q: EventListQuery): Promise<Page<EventSummary>>;
  /** Counts of hours in [since, until); `perRule` returns the per-rule rows instead of the totals. */
  counts(q: CountQuery): Promise<AuditCount[]>;
  /** The newest record of `kind` per rule id. */
  lastPerRule(kind: AuditKind): Promise<Map<string, number>>;
  /** The newest records that need someone's attention: rule errors, dead letters, loop stops, breakers. */
  problems(limit: number): Promise<AuditRecord[]>;
  /** Like AuditStore.query, newest first, one page at a time. */
  page(q: Omit<AuditQuery, 'order'> & { before?: string }): Promise<Page<AuditRecord>>;
}

export interface Stores {
  events: EventLog;
  runs: RunQueue;
  audit: AuditStore;
  views: AuditViews;
  state: StateStore;
  close(): Promise<void>;
}
