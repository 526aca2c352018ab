/**
 * What the executor is given besides the stores and the API client: how to turn a planned
 * action into calls at execution time, how to re-check a rule's condition, and the current rules.
 * Injected so the composition root wires the action catalogue and the matcher, and hot reload
 * of rules is seen by runs already queued.
 */
import { buildCalls } from '../actions/catalogue.ts';
import { AutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import type { NormalizedWorkItem } from '../match/work-item.ts';
import type { ApiCall, PlannedAction, Run } from '../plan/run.ts';
import type { Rule } from '../rules/rule.ts';
import type { StateStore } from '../store/ports.ts';

/**
 * Performs one read through the limiter and the client and returns the response's `data`.
 * A refused or failed read ends the action the same way a failed write does (it throws a
 * signal the executor understands; resolvers let it through).
 */
export type ReadFn = (call: ApiCall) => Promise<unknown>;

/** Results of the run's finished actions, by index (`'0'`) and by `name:`. */
export type StepResults = Readonly<Record<string, unknown>>;

export interface ResolveContext {
  run: Run;
  steps: StepResults;
  read: ReadFn;
  /** Set for actions rendered at execution (`render: execution`): build the calls from these. */
  rendered?: RenderedAction;
}

/**
 * The exact calls of one action at execution time: renders `{{steps.*}}` in its params and
 * looks up what only live data can tell (a transition id, the current owners).
 * Throws an AutopilotError (e.g. AP_TEMPLATE_MISSING_PATH) when the action cannot be built.
 */
export type ActionResolver = (action: PlannedAction, ctx: ResolveContext) => Promise<ApiCall[]>;

export interface RecheckResult {
  holds: boolean;
  /** The condition trace on fresh data, for the audit. */
  trace?: unknown;
}

/**
 * Re-fetches the run's work item and evaluates the rule's `when` on it. The executor has its own
 * (src/executor/program/recheck.ts); this port overrides it (tests).
 */
export type Recheck = (ctx: { run: Run; rule: Rule; read: ReadFn }) => Promise<RecheckResult>;

/** The rule as currently loaded (hot reload), or undefined when it was removed. */
export type RuleGetter = (ruleId: string) => Rule | undefined;

/**
 * Uses the calls planned ahead, and for actions rendered at execution the catalogue's calls of
 * their rendered params (those that need no read).
 */
export const plannedCallsOnly: ActionResolver = async (action, ctx) => {
  if (action.calls) return action.calls;
  if (ctx.rendered) {
    const built = buildCalls({ type: action.type, params: ctx.rendered.params }, ctx.rendered);
    if ('calls' in built) return built.calls;
  }
  throw new AutopilotError(
    'AP_INTERNAL',
    `action ${action.index} (${action.type}) has no planned calls and no resolver`,
  );
};

/** What execution-time steps read besides the calls they make (docs/design/run-program.md). */
export interface ProgramPorts {
  /** The run's event when the run keeps no snapshot (runs planned before snapshots existed). */
  event?(eventId: string): Promise<Event | undefined>;
  /**
   * The event's work item, read live through `read` (the executor's limiter and retry policy);
   * undefined when it no longer exists. @defaultValue one workItem.query, normalized without field meta
   */
  workItem?(
    ref: { projectKey: string; typeKey: string; id: string },
    read: ReadFn,
    options: { subtasks?: boolean },
  ): Promise<NormalizedWorkItem | undefined>;
  /**
   * Where `set` / `increment` keep variables and the `vars` fact reads them. @defaultValue none:
   * variables read as absent, and a `set` / `increment` step fails (AP_INTERNAL). An `approve`
   * step keeps its record here too (it needs `compareAndSet`).
   */
  state?: Pick<StateStore, 'get' | 'updateVar'> & Partial<Pick<StateStore, 'compareAndSet'>>;
  /** `{{secrets.NAME}}` values (AUTOPILOT_SECRET_<NAME>). @defaultValue none */
  secrets?: Readonly<Record<string, string>>;
}

/** An action rendered at execution: its params and the facts its builder needs. */
export interface RenderedAction {
  params: Record<string, unknown>;
  event: Event;
  workItem?: Partial<NormalizedWorkItem>;
}
