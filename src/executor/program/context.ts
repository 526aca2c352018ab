/**
 * What every step of a run sees while it executes (one claim of the run), and how a step ends
 * (docs/design/run-program.md §4).
 */
import type { PlannedAction, Run } from '../../plan/run.ts';
import type { ActionSpec, Rule } from '../../rules/rule.ts';
import type { RunWake } from '../../store/ports.ts';
import type { RunDeps } from '../process-run.ts';
import type { AttemptInput, StoppedEnd } from '../run-action.ts';
import type { ExecutionFacts, Scope } from './execution-facts.ts';
import type { StepProgress } from './progress.ts';

export interface ProgramContext {
  deps: RunDeps;
  run: Run;
  /** The rule as loaded now (its `when` for recheck, its retry override); undefined once removed. */
  rule: Rule | undefined;
  facts: ExecutionFacts;
  signal: AbortSignal;
  /** Writes the current top-level step's progress tree (after a nested step finished). */
  save(): Promise<void>;
  /** The retry bookkeeping of the attempt under way when the run was claimed; the first attempt takes it. */
  takeAttempts(): Pick<AttemptInput, 'attemptsSoFar' | 'firstAttemptAt' | 'lastError'>;
  /** Why the run woke from parking; the step that parked takes it. */
  takeWake(): RunWake | undefined;
  /** Whether a step finished in this claim (shutdown releases the run only between steps). */
  progressed: boolean;
}

/** A step as written (nested) or planned (top level). */
export type StepDef = ActionSpec | PlannedAction;

export interface StepNode {
  step: StepDef;
  /** `2` for a top-level step, `2/i7/0` for step 0 of iteration 7 of the for_each at 2. */
  path: string;
  /** Index of the top-level step it belongs to. */
  top: number;
  /** Its idempotency key: the planned one at the top level, derived from the path below. */
  key: string;
}

export type StepEnd =
  | { kind: 'done'; outcome: 'done' | 'already_applied' | 'not_taken'; data?: unknown }
  /** Park the run until `until` (its progress holds the step's state); the step runs again after the wake. */
  | {
      kind: 'park';
      until: number;
      /** Runs once the run is parked (an approval decided meanwhile resumes it at once). */
      afterPark?: () => Promise<void>;
    }
  /** Stop the run quietly (recheck false): state `skipped`. */
  | { kind: 'skip_run'; reason: string; detail?: Record<string, unknown> }
  /** Shutdown between steps: give the run back. */
  | { kind: 'released' }
  | StoppedEnd;

/** One kind of step: runs it from its progress, in its scope. */
export type StepKind = (
  ctx: ProgramContext,
  node: StepNode,
  progress: StepProgress,
  scope: Scope,
) => Promise<StepEnd>;
