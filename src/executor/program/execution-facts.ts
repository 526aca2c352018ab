/**
 * The facts of one run while it executes (one claim): the event (the run's snapshot, else the
 * event log), the live work item (read only when a step needs it, once per claim, and again for
 * `recheck`), the variables (`vars`, read when a step reads them), and what the step's place
 * adds: `steps`, `item`, `index`. Conditions and templates
 * at execution time read the same facts as the rule's `when`, plus those.
 */
import { AutopilotError } from '../../errors.ts';
import type { Event } from '../../events/event.ts';
import { emptyVars, loadVars, varsMentioned, type VarsFact } from '../../match/vars-fact.ts';
import { normalizeWorkItem, subtaskViews, type NormalizedWorkItem } from '../../match/work-item.ts';
import { withTimeSpent } from '../../match/time-in-state.ts';
import { projectCalls } from '../../openapi/project-calls.ts';
import type { Rule } from '../../rules/rule.ts';
import { secretsFact } from '../../rules/secret-names.ts';
import type { Run } from '../../plan/run.ts';
import type { ProgramPorts, ReadFn } from '../ports.ts';

/** Where a step runs: the step results it may read and, inside a for_each, its item. */
export interface Scope {
  /** `steps.<index or name>`: the run's finished top-level steps, then the enclosing blocks' named ones. */
  steps: Readonly<Record<string, unknown>>;
  item?: unknown;
  index?: number;
}

export interface FactOptions {
  /** Read the work item again even if this claim read it already (`recheck`). */
  fresh?: boolean;
  /** Offer `secrets` (only `http` and `api` actions may read them). */
  secrets?: boolean;
  /** The conditions read the work item's sub-tasks (one more call). */
  subtasks?: boolean;
}

export class ExecutionFacts {
  readonly #run: Run;
  readonly #ports: ProgramPorts;
  readonly #now: () => number;
  #event: Promise<Event> | undefined;
  #workItem: Promise<NormalizedWorkItem | undefined> | undefined;
  #withSubtasks = false;

  constructor(run: Run, ports: ProgramPorts, now: () => number) {
    this.#run = run;
    this.#ports = ports;
    this.#now = now;
  }

  event(): Promise<Event> {
    this.#event ??= this.#loadEvent();
    return this.#event;
  }

  /** The event's work item, live; undefined when the event has none or it no longer exists. */
  async workItem(read: ReadFn, options: FactOptions = {}): Promise<NormalizedWorkItem | undefined> {
    const needSubtasks = options.subtasks === true && !this.#withSubtasks;
    if (this.#workItem === undefined || options.fresh || needSubtasks) {
      const event = await this.event();
      const subtasks = options.subtasks === true || this.#withSubtasks;
      const loading = loadWorkItem(event, read, this.#ports, subtasks);
      // A failed read is not kept: the next attempt reads again.
      loading.catch(() => (this.#workItem = undefined));
      this.#workItem = loading;
      this.#withSubtasks = subtasks;
    }
    return this.#workItem;
  }

  /** The fact table a condition or template sees for `roots`, at this moment. */
  async table(
    roots: ReadonlySet<string>,
    scope: Scope,
    read: ReadFn,
    rule: Rule | undefined,
    options: FactOptions = {},
  ): Promise<Record<string, unknown>> {
    const event = await this.event();
    const table: Record<string, unknown> = {
      event,
      change: event.change,
      command: event.command,
      now: this.#now(),
      steps: scope.steps,
      rule: { id: this.#run.ruleId, description: rule?.description, version: this.#run.ruleVersion },
    };
    if ('item' in scope) table.item = scope.item;
    if (scope.index !== undefined) table.index = scope.index;
    if (roots.has('work_item')) {
      const item = await this.workItem(read, options);
      table.work_item = item && withTimeSpent(item, table.now as number);
    }
    // Read again at every step that reads them: a later step sees what an earlier one set.
    if (roots.has('vars')) table.vars = await this.#vars(event, rule);
    if (options.secrets) table.secrets = secretsFact(this.#ports.secrets ?? {});
    return table;
  }

  /** The variables the rule mentions anywhere (the loaded rule, else the run's own steps). */
  async #vars(event: Event, rule: Rule | undefined): Promise<VarsFact> {
    const state = this.#ports.state;
    const wanted = varsMentioned(rule ?? this.#run.actions);
    if (!state || wanted.length === 0) return emptyVars();
    return loadVars((key) => state.get(key), wanted, { ruleId: this.#run.ruleId, event });
  }

  async #loadEvent(): Promise<Event> {
    const run = this.#run;
    const event = run.event ?? (await this.#ports.event?.(run.eventId));
    if (event) return event;
    throw new AutopilotError(
      'AP_INTERNAL',
      `event ${run.eventId} of run ${run.id} is no longer in the event log`,
    );
  }
}

async function loadWorkItem(
  event: Event,
  read: ReadFn,
  ports: ProgramPorts,
  subtasks: boolean,
): Promise<NormalizedWorkItem | undefined> {
  if (!event.projectKey || !event.workItem) return undefined;
  const ref = { projectKey: event.projectKey, typeKey: event.workItem.typeKey, id: event.workItem.id };
  if (ports.workItem) return ports.workItem(ref, read, { subtasks });
  const data = await read(projectCalls.queryWorkItems(ref.projectKey, ref.typeKey, [ref.id]));
  const raw = Array.isArray(data) ? data[0] : undefined;
  if (raw === undefined) return undefined;
  const item = normalizeWorkItem(raw);
  return subtasks ? { ...item, ...subtaskViews(await read(projectCalls.listSubtasks(ref))) } : item;
}
