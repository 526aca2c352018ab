/**
 * The cursor inside a run's current top-level step (RunRecord.progress), saved atomically with
 * each nested step's result (docs/design/run-program.md §3). One tree node per step under way:
 * its decision (branch, items) is saved before it leads to a write, so a retry after a crash
 * takes the same branch and iterates the same list.
 */

export interface StepProgress {
  /** `then` (the step itself), `else`, or the index of the choose pair taken. */
  branch?: 'then' | 'else' | number;
  /** for_each: the list, fixed when the loop starts. */
  items?: unknown[];
  /** for_each: the iteration under way. */
  iteration?: number;
  /** The nested block under way (an iteration's steps, a branch). */
  block?: BlockProgress;
  /** The step's own state: a wait's due time, an approval's sent message. */
  state?: Record<string, unknown>;
}

export interface BlockProgress {
  /** First unfinished nested step. */
  next: number;
  /** Results of the block's named steps, for `{{steps.<name>}}` in its later steps. */
  results: Record<string, unknown>;
  /** The cursor inside nested step `next`. */
  current?: StepProgress;
}

/** The stored progress as a tree to continue from (anything else starts the step afresh). */
export function progressOf(stored: unknown): StepProgress {
  return stored !== null && typeof stored === 'object' && !Array.isArray(stored)
    ? (stored as StepProgress)
    : {};
}

export function newBlock(): BlockProgress {
  return { next: 0, results: {} };
}
