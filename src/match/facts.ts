/**
 * The facts a condition or template sees for one event: `event`, `work_item`, `change`,
 * `command`, `now`, `vars`. `work_item` is loaded lazily, at most once per event, and only when a
 * candidate rule needs it; without a loader, what the event payload carries stands in for it.
 */
import type { Event } from '../events/event.ts';
import { withTimeSpent } from './time-in-state.ts';
import { emptyVars, type VarRef, type VarsFact } from './vars-fact.ts';
import { normalizeWorkItem, type NormalizedWorkItem, type WorkItemProvider } from './work-item.ts';

/** Reads the variables `wanted` of one rule for this event (the StateStore's, in the engine). */
export type VarsProvider = (ruleId: string, wanted: readonly VarRef[]) => Promise<VarsFact>;

export interface EventFacts {
  event: Event;
  change: Event['change'];
  /** Where the change came from, when known before matching (src/loop/event-origin.ts). */
  origin: Event['origin'];
  command: Event['command'];
  now: number;
  /** False when the changed field's other name could not be looked up (offline, without the work item). */
  fieldNamesKnown?: boolean;
  /** Memoized: the first call starts the load, every later call gets the same promise. */
  workItem(): Promise<WorkItemFact>;
  /**
   * Linked work items (src/engine/linked-items.ts), read at most once per event and relation
   * rule; undefined without a loader (offline: conditions on them need live data).
   */
  related(relationRules: readonly string[]): Promise<Record<string, unknown> | undefined>;
  parent(): Promise<unknown>;
  /** Whether `related` and `parent` come from a loader (live) rather than being unknown. */
  linkedKnown: boolean;
  /** The `vars` fact of one rule: only the variables it names, read when its conditions run. */
  vars: VarsProvider;
}

/** The work item as far as it is known, and whether that is the live record or only the payload's part. */
export interface WorkItemFact {
  value: Partial<NormalizedWorkItem> | undefined;
  live: boolean;
}

/**
 * Without `loadVars` (offline), every variable reads as absent. `change` may be given with more
 * than the event carries: the other name (key or alias) of the changed field
 * (src/match/change-field.ts).
 */
export function buildEventFacts(
  event: Event,
  now: number,
  loadWorkItem?: WorkItemProvider,
  loadVars?: VarsProvider,
  known: { change?: Event['change']; fieldNamesKnown?: boolean; linked?: LinkedProvider } = {},
): EventFacts {
  let loaded: Promise<WorkItemFact> | undefined;
  let parent: Promise<unknown> | undefined;
  const related = new Map<string, Promise<unknown>>();
  const linked = known.linked;
  return {
    event,
    change: known.change ?? event.change,
    fieldNamesKnown: known.fieldNamesKnown,
    origin: event.origin,
    command: event.command,
    now,
    workItem: () => (loaded ??= loadFact(event, now, loadWorkItem)),
    vars: async (ruleId, wanted) => (loadVars && wanted.length > 0 ? loadVars(ruleId, wanted) : emptyVars()),
    linkedKnown: linked !== undefined,
    parent: () => (parent ??= linked ? linked.parent() : Promise.resolve(undefined)),
    async related(rules) {
      if (!linked) return undefined;
      const missing = rules.filter((rule) => !related.has(rule));
      if (missing.length > 0) {
        const reading = linked.related(missing);
        for (const rule of missing)
          related.set(
            rule,
            reading.then((byRule) => byRule[rule] ?? []),
          );
      }
      const fact: Record<string, unknown> = Object.create(null);
      for (const rule of rules) fact[rule] = await related.get(rule);
      return fact;
    },
  };
}

/** Reads the event's linked work items (the engine's loader; a file's in `autopilot test`). */
export interface LinkedProvider {
  related(relationRules: readonly string[]): Promise<Record<string, unknown>>;
  parent(): Promise<unknown>;
}

async function loadFact(
  event: Event,
  now: number,
  loadWorkItem: WorkItemProvider | undefined,
): Promise<WorkItemFact> {
  const live = loadWorkItem === undefined ? undefined : await loadWorkItem();
  if (live !== undefined) return { value: withTimeSpent(live, now), live: true };
  const known = workItemFromPayload(event);
  return { value: known && withTimeSpent(known, now), live: false };
}

/**
 * What a Feishu webhook payload says about its work item (id, name, project, type, sometimes
 * fields), accepted with or without the `{header, payload}` envelope.
 */
export function workItemFromPayload(event: Event): Partial<NormalizedWorkItem> | undefined {
  const body = innerPayload(event.payload);
  const hasItem = event.workItem !== undefined || body.id !== undefined;
  if (!hasItem) return undefined;
  const normalized = normalizeWorkItem({
    ...body,
    id: body.id ?? event.workItem?.id,
    work_item_type_key: body.work_item_type_key ?? event.workItem?.typeKey,
    project_key: body.project_key ?? event.projectKey,
  });
  return pickKnown(normalized, body);
}

function innerPayload(payload: unknown): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object') return {};
  const outer = payload as Record<string, unknown>;
  const inner = outer.payload;
  return inner !== null && typeof inner === 'object' ? (inner as Record<string, unknown>) : outer;
}

/** Keep only what the payload really carried, so a missing field reads as "needs live data". */
function pickKnown(item: NormalizedWorkItem, body: Record<string, unknown>): Partial<NormalizedWorkItem> {
  const partial: Partial<NormalizedWorkItem> = { id: item.id, type: item.type, project: item.project };
  if (typeof body.name === 'string') partial.name = item.name;
  if (body.work_item_status !== undefined) partial.state = item.state;
  if (Array.isArray(body.current_nodes)) partial.current_nodes = item.current_nodes;
  if (Array.isArray(body.state_times)) {
    if (item.state_entered_at !== undefined) partial.state_entered_at = item.state_entered_at;
    if (item.node_entered_at !== undefined) partial.node_entered_at = item.node_entered_at;
  }
  if (Array.isArray(body.fields)) {
    partial.fields = item.fields;
    partial.raw_fields = item.raw_fields;
    if (Object.keys(item.roles).length > 0) partial.roles = item.roles;
  }
  if (body.created_at !== undefined) partial.created_at = item.created_at;
  if (body.updated_at !== undefined) partial.updated_at = item.updated_at;
  if (body.created_by !== undefined) partial.created_by = item.created_by;
  if (body.updated_by !== undefined) partial.updated_by = item.updated_by;
  return partial;
}
