import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/**
 * The 1-based line and column of the node at `path` in the document: the value, or with `atKey`
 * the key of the last segment. A path that does not exist points at its deepest existing parent.
 */
export function locate(
  doc: Document | undefined,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
  atKey = false,
  inner?: { source: string; offset: number },
): { line: number; column: number } {
  const start = offsetOf(doc, path, atKey);
  return position(lineCounter, inner ? start + innerShift(doc, path, inner) : start);
}

/**
 * Where character `offset` of a string value sits in the source: exact for single-line plain
 * and quoted scalars without escapes, else 0 (the scalar's start).
 */
function innerShift(
  doc: Document | undefined,
  path: readonly (string | number)[],
  inner: { source: string; offset: number },
): number {
  const node = doc?.getIn(path, true);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return 0;
  const raw = inner.source.slice(node.range[0], node.range[1]);
  if (raw === node.value) return inner.offset;
  const quoted = (raw.startsWith("'") || raw.startsWith('"')) && raw.slice(1, -1) === node.value;
  return quoted ? inner.offset + 1 : 0;
}

export function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

function offsetOf(doc: Document | undefined, path: readonly (string | number)[], atKey: boolean): number {
  let node: unknown = doc?.contents;
  let offset = start(node);
  for (const [i, segment] of path.entries()) {
    if (isAlias(node) && doc) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return offset;
      if (last && atKey) return start(pair.key);
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return offset;
      node = item;
    } else {
      return offset;
    }
    offset = start(node, offset);
  }
  return offset;
}

function start(node: unknown, fallback = 0): number {
  return (node as Node | null | undefined)?.range?.[0] ?? fallback;
}
