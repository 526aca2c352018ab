/**
 * Node flow and state flow as the simulator runs them (data-structures §5.3): confirm a node
 * in progress, roll back to a completed node, take a state transition by transition_id.
 * Each function checks the documented preconditions, then mutates the item.
 */
import { fail } from '../http/sim-error.ts';
import { isFilled } from './fields.ts';
import type { NodeDef, NodeRun, Subtask, Template, WorkItem } from './types.ts';

export function nodeDef(template: Template, nodeId: string): NodeDef {
  const def = template.nodes.find((n) => n.state_key === nodeId);
  if (!def) throw fail(20018, `node ${nodeId} is not in the workflow`);
  return def;
}

export function nodeRun(item: WorkItem, nodeId: string): NodeRun {
  const run = item.nodes.find((n) => n.state_key === nodeId);
  if (!run) throw fail(20018, `node ${nodeId} is not in the workflow`);
  return run;
}

/** Nodes with no incoming connection are in progress when the item is created. */
export function initialNodes(template: Template, now: number): NodeRun[] {
  const targets = new Set(template.connections.map((c) => c.target_state_key));
  return template.nodes.map((n) => ({
    state_key: n.state_key,
    status: targets.has(n.state_key) ? 1 : 2,
    owners: [],
    begin: targets.has(n.state_key) ? 0 : now,
    finish: 0,
  }));
}

export function inProgress(item: WorkItem): NodeRun[] {
  return item.nodes.filter((n) => n.status === 2);
}

/** The names of required fields still empty in `fields`, as the 20038 inner message lists them. */
export function missingFields(label: string, required: string[], fields: Record<string, unknown>): string[] {
  return required.filter((key) => !isFilled(fields[key])).map((key) => `${label}(${key}) Required`);
}

export interface NodeChange {
  state_key: string;
  pre_status: number;
  cur_status: number;
}

/** Confirm a node in progress; successors whose predecessors are all done become in progress. */
export function confirmNode(
  template: Template,
  item: WorkItem,
  nodeId: string,
  fields: Record<string, unknown>,
  subtasks: Subtask[],
  now: number,
): NodeChange[] {
  const def = nodeDef(template, nodeId);
  const run = nodeRun(item, nodeId);
  if (run.status === 1) throw fail(20016, `node ${nodeId} is not arrived`);
  if (run.status === 3) throw fail(20017, `node ${nodeId} is completed`);
  const missing = missingFields(def.name, def.required_fields, fields);
  if (missing.length > 0) throw fail(20038, missing.join(', '));
  const open = subtasks.find((t) => t.node_id === nodeId && !t.passed);
  if (open)
    throw fail(50006, `Node ${def.name} cannot be completed because task ${open.name} is not completed`);
  run.status = 3;
  run.finish = now;
  const changes: NodeChange[] = [{ state_key: nodeId, pre_status: 2, cur_status: 3 }];
  for (const next of successors(template, nodeId)) {
    const nextRun = nodeRun(item, next);
    const ready = predecessors(template, next).every((p) => nodeRun(item, p).status === 3);
    if (nextRun.status === 1 && ready) {
      nextRun.status = 2;
      nextRun.begin = now;
      nextRun.finish = 0;
      changes.push({ state_key: next, pre_status: 1, cur_status: 2 });
    }
  }
  return changes;
}

/** Roll back to a completed node: it is in progress again, everything after it not reached. */
export function rollbackNode(template: Template, item: WorkItem, nodeId: string, now: number): NodeChange[] {
  nodeDef(template, nodeId);
  const run = nodeRun(item, nodeId);
  if (run.status !== 3) throw fail(20037, `node ${nodeId} is not completed`);
  const changes: NodeChange[] = [{ state_key: nodeId, pre_status: 3, cur_status: 2 }];
  run.status = 2;
  run.begin = now;
  run.finish = 0;
  for (const key of downstream(template, nodeId)) {
    const later = nodeRun(item, key);
    if (later.status !== 1) {
      changes.push({ state_key: key, pre_status: later.status, cur_status: 1 });
      later.status = 1;
      later.begin = 0;
      later.finish = 0;
    }
  }
  return changes;
}

function successors(template: Template, nodeId: string): string[] {
  return template.connections.filter((c) => c.source_state_key === nodeId).map((c) => c.target_state_key);
}

function predecessors(template: Template, nodeId: string): string[] {
  return template.connections.filter((c) => c.target_state_key === nodeId).map((c) => c.source_state_key);
}

function downstream(template: Template, nodeId: string): string[] {
  const seen = new Set<string>();
  const queue = successors(template, nodeId);
  while (queue.length > 0) {
    const key = queue.shift() as string;
    if (key === nodeId || seen.has(key)) continue;
    seen.add(key);
    queue.push(...successors(template, key));
  }
  return [...seen];
}

/** A node-flow item's status key: its first node in progress, or its last node once done. */
export function nodeFlowStateKey(item: WorkItem): string {
  const current = inProgress(item)[0];
  if (current) return current.state_key;
  return item.nodes[item.nodes.length - 1]?.state_key ?? '';
}

/** Pick the transition for `state_change`: unknown or not from the current state is 10002. */
export function transitionFor(template: Template, item: WorkItem, transitionId: number) {
  const transition = template.transitions.find((t) => t.transition_id === transitionId);
  if (!transition || transition.source_state_key !== item.status.state_key) {
    throw fail(10002, `transition ${transitionId} is not allowed from state ${item.status.state_key}`);
  }
  return transition;
}

/** Move the item's status, keeping history and state_times as the API reports them. */
export function moveStatus(item: WorkItem, stateKey: string, operator: string, now: number): void {
  if (item.status.state_key === stateKey) return;
  item.history.push({ ...item.status });
  const open = item.state_times.find((t) => t.state_key === item.status.state_key && t.end_time === 0);
  if (open) open.end_time = now;
  item.status = { state_key: stateKey, updated_at: now, updated_by: operator };
  item.state_times.push({ state_key: stateKey, start_time: now, end_time: 0 });
}
