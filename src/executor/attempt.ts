/**
 * One call of an action: limiter, then the client, then the retry policy's decision. A refused
 * reservation or a failed call ends the action with a signal (`ActionStop`) that the run
 * processor turns into a reschedule or a dead letter.
 */
import { ERROR_CATALOGUE, isAutopilotError } from '../errors.ts';
import type { ApiCaller, ApiOutcome } from '../openapi/types.ts';
import type { ApiCall, PlannedAction, Run } from '../plan/run.ts';
import type { RetryOverride } from '../rules/rule.ts';
import type { AuditWriter } from '../audit/audit-writer.ts';
import type { RunError } from '../store/ports.ts';
import { reserveAll, type LimitSpec, type RateLimitClass, type RateLimiter } from './rate-limiter.ts';
import { decideRetry, toRunError, type RetrySettings } from './retry-policy.ts';

/** Why an action stopped before finishing. */
export type StopReason =
  | { kind: 'wait'; at: number; retry?: { attemptsUsed: number; error: RunError } }
  | { kind: 'dead'; error: RunError };

export class ActionStop extends Error {
  readonly reason: StopReason;
  constructor(reason: StopReason) {
    super(reason.kind === 'dead' ? reason.error.message : `wait until ${reason.at}`);
    this.name = 'ActionStop';
    this.reason = reason;
  }
}

export interface AttemptDeps {
  api: ApiCaller;
  limiter: RateLimiter;
  /** The limiter key and class of an operation (from the catalogue). */
  rateLimitOf: (operation: string) => { key: string; cls: RateLimitClass };
  /**
   * Every limit one call must fit in, when some calls have more than their operation's (a Lark
   * message also counts against its chat or person). @defaultValue the operation's limit alone
   */
  rateLimitsOf?: (call: ApiCall) => LimitSpec[];
  audit: AuditWriter;
  now: () => number;
  random: () => number;
  retryDefaults: RetrySettings;
  /** Limiter waits up to this long are slept in the worker (once per call); longer ones reschedule. */
  waitInPlaceMs: number;
  /** Sleeps `ms`; rejects when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Per action execution: counts the attempt once however many calls it makes. */
export interface AttemptState {
  run: Run;
  action: PlannedAction;
  /** The attempt number of this execution of the action (1-based). */
  attempt: number;
  firstAttemptAt: number;
  override: RetryOverride | undefined;
  signal: AbortSignal;
  /**
   * The auth error after which the token was dropped for this action, if it was. Kept in the
   * run record (as its last error) when the action has to wait, so the repeat stays single.
   */
  refreshedAfter: RunError | undefined;
}

export interface CallDone {
  outcome: 'done' | 'already_applied';
  data: unknown;
}

export async function attemptCall(
  deps: AttemptDeps,
  state: AttemptState,
  call: ApiCall,
  idempotencyKey?: string,
): Promise<CallDone> {
  let sleptInPlaceMs = 0;
  for (;;) {
    const tokenKey = await tokenKeyOrRetry(deps, state);
    const limits = (deps.rateLimitsOf?.(call) ?? [deps.rateLimitOf(call.operation)]).map(({ key, cls }) => ({
      key: `${tokenKey} ${key}`,
      cls,
    }));
    const reservation = await reserveAll(deps.limiter, limits, deps.now(), state.run.id);
    if (!reservation.ok) {
      const waitMs = reservation.retryAt - deps.now();
      // A slot due in a moment is waited for here: going back to the queue costs two store round
      // trips and a claim, and the run would come back later than its slot. The limiter may move
      // the slot on by a little when the run gets there (another holder took it first): waits
      // are slept here while they add up to `waitInPlaceMs` per call.
      if (sleptInPlaceMs + Math.max(1, waitMs) <= deps.waitInPlaceMs) {
        sleptInPlaceMs += Math.max(1, waitMs);
        try {
          await deps.sleep(Math.max(0, waitMs), state.signal);
        } catch {
          throw new ActionAborted();
        }
        continue;
      }
      const retry = state.refreshedAfter && { attemptsUsed: state.attempt, error: state.refreshedAfter };
      throw new ActionStop({ kind: 'wait', at: reservation.retryAt, ...(retry ? { retry } : {}) });
    }

    const started = deps.now();
    let decisionName = 'unknown';
    let outcome: ApiOutcome | undefined;
    try {
      try {
        outcome = await callSafely(deps.api, call, { idempotencyKey, signal: state.signal });
      } finally {
        for (const { key } of limits) await deps.limiter.complete?.(key, state.run.id, deps.now());
      }
      if (state.signal.aborted) throw new ActionAborted();
      const decision = decide(deps, state, outcome);
      decisionName = decision.kind === 'done' ? decision.outcome : decision.kind;
      switch (decision.kind) {
        case 'done':
          return { outcome: decision.outcome, data: outcome.data };
        case 'refresh_token':
          deps.api.dropToken();
          state.refreshedAfter = toRunError(outcome, 'token refused, dropped it');
          continue;
        case 'retry':
          // The answer does not say which of the call's limits it hit: hold all of them back.
          if (decision.reason === 'rate_limited')
            for (const { key } of limits) await deps.limiter.block(key, decision.at);
          throw new ActionStop({
            kind: 'wait',
            at: decision.at,
            retry: { attemptsUsed: decision.attemptsUsed, error: decision.error },
          });
        case 'dead':
          throw new ActionStop({ kind: 'dead', error: decision.error });
      }
    } finally {
      if (outcome) {
        await deps.audit.actionAttempted({
          run: state.run,
          action: state.action,
          call,
          attempt: state.attempt,
          outcome,
          decision: decisionName,
          durationMs: deps.now() - started,
        });
      }
    }
  }
}

/** Shutdown passed its deadline while the call was in flight: give the run back untouched. */
export class ActionAborted extends Error {
  constructor() {
    super('aborted by shutdown');
    this.name = 'ActionAborted';
  }
}

/**
 * The client classifies every answer; what it throws instead (a bad call it refused to send, a
 * bug) is turned into an outcome here so the retry policy decides about it too.
 */
async function callSafely(
  api: ApiCaller,
  call: ApiCall,
  options: { idempotencyKey?: string; signal: AbortSignal },
): Promise<ApiOutcome> {
  try {
    // The client should honour the signal; the race makes shutdown's deadline hold even if not.
    return await Promise.race([api.call(call, options), aborted(options.signal)]);
  } catch (error) {
    if (error instanceof ActionAborted || options.signal.aborted) throw new ActionAborted();
    const retryable = isAutopilotError(error) ? error.spec.retryable : true;
    const name = isAutopilotError(error) ? error.code : ((error as Error)?.name ?? 'Error');
    return {
      class: retryable ? 'transient' : 'permanent',
      networkError: `${name}: ${(error as Error)?.message ?? String(error)}`,
      durationMs: 0,
    };
  }
}

/** Rejects when the signal aborts; never an unhandled rejection once the race is over. */
function aborted(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(new ActionAborted());
    signal.addEventListener('abort', () => reject(new ActionAborted()), { once: true });
  });
  promise.catch(() => undefined);
  return promise;
}

/**
 * The limiter key needs the plugin token; a token fetch that failed transiently (a 5xx page, a
 * reset) is retried like a failed call, never a dead letter on the first try.
 */
async function tokenKeyOrRetry(deps: AttemptDeps, state: AttemptState): Promise<string> {
  try {
    return await deps.api.tokenKey();
  } catch (error) {
    if (!isAutopilotError(error) || !ERROR_CATALOGUE[error.code].retryable) throw error;
    const decision = decide(deps, state, {
      class: 'transient',
      networkError: error.code,
      errMsg: error.message,
      durationMs: 0,
    });
    if (decision.kind === 'retry') {
      throw new ActionStop({
        kind: 'wait',
        at: decision.at,
        retry: { attemptsUsed: decision.attemptsUsed, error: decision.error },
      });
    }
    throw new ActionStop({
      kind: 'dead',
      error:
        decision.kind === 'dead'
          ? decision.error
          : toRunError({ class: 'transient', durationMs: 0 }, error.message),
    });
  }
}

/** The retry policy's decision on one outcome of this action. */
function decide(deps: AttemptDeps, state: AttemptState, outcome: ApiOutcome) {
  return decideRetry({
    outcome,
    actionType: state.action.type,
    attempt: state.attempt,
    firstAttemptAt: state.firstAttemptAt,
    now: deps.now(),
    tokenRefreshed: state.refreshedAfter !== undefined,
    override: state.override,
    defaults: deps.retryDefaults,
    random: deps.random,
  });
}
