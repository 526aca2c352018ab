/**
 * One action of a run: the execution-time preparation (recheck, rendering) with the action's own
 * reads, the calls' resolution, then the calls. Writes carry the action's idempotency key.
 */
import { isAutopilotError } from '../errors.ts';
import type { PlannedAction, Run } from '../plan/run.ts';
import type { RetryOverride } from '../rules/rule.ts';
import type { RunError } from '../store/ports.ts';
import { ActionAborted, ActionStop, attemptCall, type AttemptDeps, type AttemptState } from './attempt.ts';
import type { ActionResolver, ReadFn, Recheck, RenderedAction, RuleGetter, StepResults } from './ports.ts';
import { retrySettings } from './retry-policy.ts';
import { redactedError, type SecretRedactor } from './secret-redaction.ts';
import { writeKey } from './step-results.ts';

export interface ActionDeps extends AttemptDeps {
  resolve: ActionResolver;
  recheck: Recheck | undefined;
  rules: RuleGetter;
  /** The values of `{{secrets.*}}`, kept out of the errors of actions. @defaultValue none */
  secrets?: SecretRedactor;
}

export type ActionEnd =
  | { kind: 'done'; outcome: 'done' | 'already_applied'; data: unknown }
  | { kind: 'skipped'; reason: string; detail?: Record<string, unknown> }
  /** `retry` absent: the limiter said wait, no attempt was made. */
  | { kind: 'wait'; at: number; retry?: { attempt: number; firstAttemptAt: number; error: RunError } }
  | { kind: 'dead'; error: RunError };

/** The ends of an attempt that did not finish: wait (limiter, backoff) or dead. */
export type StoppedEnd = Extract<ActionEnd, { kind: 'wait' | 'dead' }>;

export interface AttemptInput {
  run: Run;
  action: PlannedAction;
  /** Attempts of this action already made (from the run record). */
  attemptsSoFar: number;
  firstAttemptAt: number | undefined;
  /** The run's last error, when this action was attempted before. */
  lastError: RunError | undefined;
  signal: AbortSignal;
}

export interface ActionInput extends AttemptInput {
  steps: StepResults;
  /**
   * Execution-time work before the calls, with this action's reads: the recheck, and rendering
   * the params of a `render: execution` action. A `skip` ends the action (and the run) quietly.
   */
  prepare?: (read: ReadFn) => Promise<{ skip?: ActionEnd; rendered?: RenderedAction }>;
}

/** Runs one action; throws only ActionAborted (shutdown) and store failures. */
export async function runAction(deps: ActionDeps, input: ActionInput): Promise<ActionEnd> {
  const { run, action } = input;
  const attempt = await attempted(deps, input, async (read, state) => {
    const prepared = input.prepare ? await input.prepare(read) : {};
    if (prepared.skip) return prepared.skip;
    const calls = await deps.resolve(action, {
      run,
      steps: input.steps,
      read,
      ...(prepared.rendered ? { rendered: prepared.rendered } : {}),
    });
    let writes = 0;
    let last: { outcome: 'done' | 'already_applied'; data: unknown } = { outcome: 'done', data: undefined };
    for (const call of calls) {
      const done = await attemptCall(deps, state, call, call.write ? writeKey(action, writes++) : undefined);
      last = { outcome: done.outcome, data: done.data ?? last.data };
    }
    return { kind: 'done', ...last } satisfies ActionEnd;
  });
  return attempt.ok ? attempt.value : attempt.end;
}

/**
 * Runs `body` as one attempt of `input.action`: its reads go through the limiter, the client and
 * the retry policy, counted as this action's attempts. A read that must wait or failed for good
 * ends the attempt (`ok: false`); so does an error of the rule (kept with its code).
 */
export async function attempted<T>(
  deps: ActionDeps,
  input: AttemptInput,
  body: (read: ReadFn, state: AttemptState) => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; end: StoppedEnd }> {
  const rule = deps.rules(input.run.ruleId);
  const state: AttemptState = {
    run: input.run,
    action: input.action,
    attempt: input.attemptsSoFar + 1,
    firstAttemptAt: input.firstAttemptAt ?? deps.now(),
    override: rule?.retry,
    signal: input.signal,
    refreshedAfter:
      input.attemptsSoFar > 0 && input.lastError?.code === 'AP_API_AUTH' ? input.lastError : undefined,
  };
  try {
    checkOverride(rule?.retry);
    const read: ReadFn = async (call) => (await attemptCall(deps, state, call)).data;
    return { ok: true, value: await body(read, state) };
  } catch (error) {
    if (error instanceof ActionStop) return { ok: false, end: stopToEnd(error.reason, state.firstAttemptAt) };
    if (error instanceof ActionAborted) throw error;
    const safe = deps.secrets ? redactedError(error, deps.secrets) : error;
    return { ok: false, end: { kind: 'dead', error: errorOfAction(safe) } };
  }
}

/** A malformed `retry:` is the rule author's to fix; say so before anything is sent. */
function checkOverride(override: RetryOverride | undefined): void {
  if (override) retrySettings(override);
}

function stopToEnd(reason: ActionStop['reason'], firstAttemptAt: number): StoppedEnd {
  if (reason.kind === 'dead') return reason;
  if (!reason.retry) return { kind: 'wait', at: reason.at };
  const { attemptsUsed, error } = reason.retry;
  return { kind: 'wait', at: reason.at, retry: { attempt: attemptsUsed, firstAttemptAt, error } };
}

/** An action that cannot be built (missing template path, bad call) is dead at once, keeping the code. */
export function errorOfAction(error: unknown): RunError {
  if (isAutopilotError(error)) return { code: error.code, message: error.message };
  return { code: 'AP_INTERNAL', message: (error as Error)?.stack ?? String(error) };
}
