/**
 * When the work item entered its state and its current nodes, from the `state_times` the
 * Open API returns with every WorkItemInfo (`{state_key, start_time, end_time}`, end_time 0 while
 * still there; one entry per node in a node flow, per state in a state flow), so the time spent
 * costs no extra call. How long that was is relative to `now`, so it is added where the fact is
 * shown (match, execution), never stored with the item.
 */

export interface StateTimes {
  /** Epoch ms the work item entered its current state. */
  state_entered_at?: number;
  /** Node id → epoch ms it was entered, for the nodes in progress. */
  node_entered_at?: Record<string, number>;
}

export interface TimeSpent {
  /** Milliseconds in the current state at `now`. */
  time_in_state?: number;
  /** Node id → milliseconds in that node at `now`, for the nodes in progress. */
  time_in_node?: Record<string, number>;
}

interface StateTime {
  state_key: string;
  start_time: number;
  end_time: number;
}

/**
 * The entry times of the state and of each node in progress. A state the list does not cover
 * falls back to `work_item_status.updated_at` ("when the status last changed").
 */
export function stateTimes(
  raw: Record<string, unknown>,
  state: string | undefined,
  nodeIds: readonly string[],
): StateTimes {
  const times = readStateTimes(raw.state_times);
  const out: StateTimes = {};
  const stateEntered = state === undefined ? undefined : enteredAt(times, state);
  const statusChanged = asNumber(asRecord(raw.work_item_status).updated_at);
  if (stateEntered !== undefined) out.state_entered_at = stateEntered;
  else if (statusChanged !== undefined && statusChanged > 0) out.state_entered_at = statusChanged;
  const nodes: Record<string, number> = Object.create(null);
  for (const id of nodeIds) {
    const at = enteredAt(times, id);
    if (at !== undefined && !isReserved(id)) nodes[id] = at;
  }
  if (Object.keys(nodes).length > 0) out.node_entered_at = nodes;
  return out;
}

/** How long since each entry time, at `now` (never negative: clocks differ a little). */
export function timeSpent(entered: StateTimes, now: number): TimeSpent {
  const out: TimeSpent = {};
  if (entered.state_entered_at !== undefined) out.time_in_state = Math.max(0, now - entered.state_entered_at);
  if (entered.node_entered_at !== undefined) {
    const nodes: Record<string, number> = Object.create(null);
    for (const [id, at] of Object.entries(entered.node_entered_at)) nodes[id] = Math.max(0, now - at);
    out.time_in_node = nodes;
  }
  return out;
}

/** The start of the open entry for `key`, else of its latest entry (a list without end times). */
function enteredAt(times: readonly StateTime[], key: string): number | undefined {
  const entries = times.filter((t) => t.state_key === key);
  const open = entries.filter((t) => t.end_time === 0).at(-1);
  const at = (open ?? entries.at(-1))?.start_time;
  return at !== undefined && at > 0 ? at : undefined;
}

function readStateTimes(value: unknown): StateTime[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const t = asRecord(entry);
    const start = asNumber(t.start_time);
    if (typeof t.state_key !== 'string' || start === undefined) return [];
    return [{ state_key: t.state_key, start_time: start, end_time: asNumber(t.end_time) ?? 0 }];
  });
}

function isReserved(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

interface TimedItem extends StateTimes {
  current_nodes?: ReadonlyArray<{ id: string; entered_at?: number }>;
}

/**
 * The work item as a rule sees it at `now`: `time_in_state`, `time_in_node.<node>` and each
 * current node's `time_in_node` beside the entry times. Unchanged when nothing is known.
 */
export function withTimeSpent<T extends TimedItem>(item: T, now: number): T {
  const spent = timeSpent(item, now);
  const nodes = item.current_nodes?.map((node) =>
    node.entered_at === undefined ? node : { ...node, time_in_node: Math.max(0, now - node.entered_at) },
  );
  if (spent.time_in_state === undefined && spent.time_in_node === undefined) return item;
  return { ...item, ...spent, ...(nodes && { current_nodes: nodes }) };
}
