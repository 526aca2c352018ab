/**
 * One action of a run: build its calls (rendering step results, reading live data), re-check the
 * rule's condition when asked, then make the calls. Writes carry the action's idempotency key.
 */
import { AutopilotError, isAutopilotError } from '../errors.ts';
import type { PlannedAction, Run } from '../plan/run.ts';
import type { RetryOverride } from '../rules/rule.ts';
import type { ActionResult, RunError } from '../store/ports.ts';
import { ActionAborted, ActionStop, attemptCall, type AttemptDeps, type AttemptState } from './attempt.ts';
import type { ActionResolver, Recheck, RuleGetter } from './ports.ts';
import { retrySettings } from './retry-policy.ts';
import { stepResults, writeKey } from './step-results.ts';

export interface ActionDeps extends AttemptDeps {
  resolve: ActionResolver;
  recheck: Recheck | undefined;
  rules: RuleGetter;
}

export type ActionEnd =
  | { kind: 'done'; outcome: 'done' | 'already_applied'; data: unknown }
  | { kind: 'skipped'; reason: string; detail?: Record<string, unknown> }
  /** `retry` absent: the limiter said wait, no attempt was made. */
  | { kind: 'wait'; at: number; retry?: { attempt: number; firstAttemptAt: number; error: RunError } }
  | { kind: 'dead'; error: RunError };

export interface ActionInput {
  run: Run;
  action: PlannedAction;
  results: readonly ActionResult[];
  /** Attempts of this action already made (from the run record). */
  attemptsSoFar: number;
  firstAttemptAt: number | undefined;
  /** The run's last error, when this action was attempted before. */
  lastError: RunError | undefined;
  signal: AbortSignal;
}

/** Runs one action; throws only ActionAborted (shutdown) and store failures. */
export async function runAction(deps: ActionDeps, input: ActionInput): Promise<ActionEnd> {
  const { run, action } = input;
  const rule = deps.rules(run.ruleId);
  const state: AttemptState = {
    run,
    action,
    attempt: input.attemptsSoFar + 1,
    firstAttemptAt: input.firstAttemptAt ?? deps.now(),
    override: rule?.retry,
    signal: input.signal,
    refreshedAfter:
      input.attemptsSoFar > 0 && input.lastError?.code === 'AP_API_AUTH' ? input.lastError : undefined,
  };
  try {
    checkOverride(rule?.retry);
    const read = async (call: Parameters<typeof attemptCall>[2]) =>
      (await attemptCall(deps, state, call)).data;
    const calls = await deps.resolve(action, { run, steps: stepResults(run, input.results), read });

    if (action.recheck) {
      const skip = await recheckCondition(deps, run, read);
      if (skip) return skip;
    }

    let writes = 0;
    let last: { outcome: 'done' | 'already_applied'; data: unknown } = { outcome: 'done', data: undefined };
    for (const call of calls) {
      const done = await attemptCall(deps, state, call, call.write ? writeKey(action, writes++) : undefined);
      last = { outcome: done.outcome, data: done.data ?? last.data };
    }
    return { kind: 'done', ...last };
  } catch (error) {
    if (error instanceof ActionStop) return stopToEnd(error.reason, state.firstAttemptAt);
    if (error instanceof ActionAborted) throw error;
    return { kind: 'dead', error: errorOfAction(error) };
  }
}

async function recheckCondition(
  deps: ActionDeps,
  run: Run,
  read: Parameters<Recheck>[0]['read'],
): Promise<ActionEnd | undefined> {
  const rule = deps.rules(run.ruleId);
  if (!rule) return { kind: 'skipped', reason: 'rule no longer loaded' };
  if (!rule.when) return undefined;
  if (!deps.recheck) {
    throw new AutopilotError(
      'AP_INTERNAL',
      'action asks for recheck but the executor has no recheck function',
    );
  }
  const result = await deps.recheck({ run, rule, read });
  if (result.holds) return undefined;
  return { kind: 'skipped', reason: 'condition no longer true', detail: { trace: result.trace } };
}

/** A malformed `retry:` is the rule author's to fix; say so before anything is sent. */
function checkOverride(override: RetryOverride | undefined): void {
  if (override) retrySettings(override);
}

function stopToEnd(reason: ActionStop['reason'], firstAttemptAt: number): ActionEnd {
  if (reason.kind === 'dead') return reason;
  if (!reason.retry) return { kind: 'wait', at: reason.at };
  const { attemptsUsed, error } = reason.retry;
  return { kind: 'wait', at: reason.at, retry: { attempt: attemptsUsed, firstAttemptAt, error } };
}

/** An action that cannot be built (missing template path, bad call) is dead at once, keeping the code. */
function errorOfAction(error: unknown): RunError {
  if (isAutopilotError(error)) return { code: error.code, message: error.message };
  return { code: 'AP_INTERNAL', message: (error as Error)?.stack ?? String(error) };
}
