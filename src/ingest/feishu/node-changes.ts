/**
 * Node events: which transition a node event is (reached, completed, rolled back) and which
 * node made it, read from `status_change_type` or from the nodes' status codes.
 */
import type { Change } from '../../events/event.ts';
import { asList, asNumber, asObject, compact, pick, pickId, pickString, type Obj } from './read.ts';

/** WorkflowNode.status codes: 1 not reached, 2 in progress, 3 completed. */
export type NodeTransition = 'node_reached' | 'node_completed' | 'node_rolled_back';

const CHANGE_TYPE_WORDS: Readonly<Record<string, NodeTransition>> = {
  reached: 'node_reached',
  reach: 'node_reached',
  arrived: 'node_reached',
  checked: 'node_completed',
  check: 'node_completed',
  completed: 'node_completed',
  complete: 'node_completed',
  confirmed: 'node_completed',
  confirm: 'node_completed',
  finished: 'node_completed',
  finish: 'node_completed',
  passed: 'node_completed',
  rollbacked: 'node_rolled_back',
  rollback: 'node_rolled_back',
  rolledback: 'node_rolled_back',
};

interface NodeEntry {
  id: string;
  name?: string;
  from?: number;
  to?: number;
}

export function readNodes(payload: Obj): NodeEntry[] {
  const listed = asList(payload.nodes).map((entry) => {
    const node = asObject(entry);
    const id = pickId(node, 'state_key', 'node_id', 'id', 'node_key');
    if (!node || !id) return undefined;
    return {
      id,
      name: pickString(node, 'node_name', 'name'),
      from: pick(node, ['pre_status', 'old_status'], asNumber),
      to: pick(node, ['cur_status', 'status', 'new_status'], asNumber),
    };
  });
  const nodes = listed.filter((n) => n !== undefined);
  const single = pickId(payload, 'node_id', 'state_key', 'node_key');
  if (nodes.length === 0 && single)
    nodes.push({ id: single, name: pickString(payload, 'node_name'), from: undefined, to: undefined });
  return nodes;
}

function transitionOfNode(node: NodeEntry): NodeTransition | undefined {
  if (node.to === 3) return 'node_completed';
  if (node.to === 2 && node.from === 3) return 'node_rolled_back';
  if (node.to === 2) return 'node_reached';
  if (node.to === 1 && node.from !== undefined && node.from > 1) return 'node_rolled_back';
  return undefined;
}

/** The sub-kind of a `WorkFlowNodeStatusEvent`: `status_change_type` first, node codes second. */
export function nodeTransition(payload: Obj): NodeTransition | undefined {
  const word = pickString(payload, 'status_change_type', 'change_type', 'node_change_type');
  const named = word ? CHANGE_TYPE_WORDS[word.toLowerCase().replace(/[^a-z]/g, '')] : undefined;
  if (named) return named;
  for (const node of readNodes(payload)) {
    const transition = transitionOfNode(node);
    if (transition) return transition;
  }
  return undefined;
}

/**
 * `node.*`: the node that made the transition (a completed event may also list the next node
 * reached; a rollback names the node rolled back *to*, as node_operate does); every listed
 * node is kept in `nodes`.
 */
export function nodeChange(payload: Obj, transition: NodeTransition | undefined): Change | undefined {
  const nodes = readNodes(payload);
  const node =
    nodes.find((n) => transition === 'node_rolled_back' && n.from === 3 && n.to === 2) ??
    nodes.find((n) => transitionOfNode(n) === transition) ??
    nodes[0];
  const reason = pickString(payload, 'rollback_reason', 'reason');
  if (!node && !reason) return undefined;
  return compact({
    kind: 'node',
    nodeId: node?.id,
    nodeName: node?.name,
    from: node?.from,
    to: node?.to,
    reason,
    nodes: nodes.length > 1 ? nodes.map((n) => compact({ ...n })) : undefined,
  });
}
