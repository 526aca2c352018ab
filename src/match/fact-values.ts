/** Reading a fact (and a path inside it) the way json-rules-engine's almanac does. */
import type { ConditionLeaf, ConditionNode } from '../rules/rule.ts';
import { isLeaf } from './condition-trace.ts';
import { resolvePath } from './resolve-path.ts';

/** Fact values that are already known, by fact name. */
export type FactTable = Readonly<Record<string, unknown>>;

/**
 * json-rules-engine only applies a path to an object fact; a scalar fact is returned as is.
 * Kept identical here so both evaluators agree on every input.
 */
export function factAt(value: unknown, path: string | undefined): unknown {
  if (path && value !== null && typeof value === 'object') return resolvePath(value, path);
  return value;
}

export interface FactRef {
  fact: string;
  path?: string;
}

export function isFactRef(value: unknown): value is FactRef {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.prototype.hasOwnProperty.call(value, 'fact') &&
    typeof (value as FactRef).fact === 'string'
  );
}

/** Every fact name a condition tree reads, including `{fact}` references in values. */
export function factsUsed(node: ConditionNode | undefined, into = new Set<string>()): Set<string> {
  if (node === undefined) return into;
  if (isLeaf(node)) {
    into.add(node.fact);
    if (isFactRef(node.value)) into.add(node.value.fact);
  } else if ('not' in node) {
    factsUsed(node.not, into);
  } else {
    for (const child of 'all' in node ? node.all : node.any) factsUsed(child, into);
  }
  return into;
}

const leavesOf = new WeakMap<ConditionNode, readonly ConditionLeaf[]>();

/** The leaf conditions of a tree in written order (remembered per tree: rules are immutable). */
export function leaves(node: ConditionNode): readonly ConditionLeaf[] {
  let found = leavesOf.get(node);
  if (found === undefined) {
    found = collectLeaves(node, []);
    leavesOf.set(node, found);
  }
  return found;
}

function collectLeaves(node: ConditionNode, into: ConditionLeaf[]): ConditionLeaf[] {
  if (isLeaf(node)) into.push(node);
  else if ('not' in node) collectLeaves(node.not, into);
  else for (const child of 'all' in node ? node.all : node.any) collectLeaves(child, into);
  return into;
}

const SUBTASK_PATH = /^(subtasks|open_subtask_nodes)(\.|$)/;

/** Whether conditions read the work item's sub-tasks, which cost one more API call to load. */
export function readsSubtasks(node: ConditionNode | undefined): boolean {
  if (node === undefined) return false;
  return leaves(node).some((leaf) => {
    const ref = isFactRef(leaf.value) ? leaf.value : undefined;
    return (
      (leaf.fact === 'work_item' && SUBTASK_PATH.test(leaf.path ?? '')) ||
      (ref?.fact === 'work_item' && SUBTASK_PATH.test(ref.path ?? ''))
    );
  });
}

const readsOriginOf = new WeakMap<ConditionNode, boolean>();

/** Whether conditions read where the change came from (`origin`, or `event.origin…`). */
export function readsOrigin(node: ConditionNode | undefined): boolean {
  if (node === undefined) return false;
  let reads = readsOriginOf.get(node);
  if (reads === undefined) {
    const refs = leaves(node).flatMap((leaf) => [leaf, ...(isFactRef(leaf.value) ? [leaf.value] : [])]);
    reads = refs.some(
      (r) => r.fact === 'origin' || (r.fact === 'event' && /^origin(\.|$)/.test(r.path ?? '')),
    );
    readsOriginOf.set(node, reads);
  }
  return reads;
}

/** Which linked work items conditions read: the relation rules of `related.<rule>…`, and `parent`. */
export function linkedRead(node: ConditionNode | undefined): { related: string[]; parent: boolean } {
  if (node === undefined) return { related: [], parent: false };
  const refs = leaves(node).flatMap((leaf) => [leaf, ...(isFactRef(leaf.value) ? [leaf.value] : [])]);
  const related = new Set<string>();
  for (const ref of refs) {
    const rule = ref.fact === 'related' ? ref.path?.split('.')[0] : undefined;
    if (rule) related.add(rule);
  }
  return { related: [...related], parent: refs.some((ref) => ref.fact === 'parent') };
}
