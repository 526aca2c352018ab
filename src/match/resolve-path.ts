/**
 * The dotted path resolver shared by conditions and templates: `fields.priority`,
 * `roles.PM`, `current_nodes.0.id`. Only own properties are followed and the prototype
 * segments resolve to undefined, so a rule can never reach into Object.prototype.
 */

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

const splitCache = new Map<string, readonly string[]>();
const SPLIT_CACHE_LIMIT = 10_000;

export function splitPath(path: string): readonly string[] {
  let segments = splitCache.get(path);
  if (segments === undefined) {
    segments = path === '' ? [] : path.split('.');
    if (splitCache.size >= SPLIT_CACHE_LIMIT) splitCache.clear();
    splitCache.set(path, segments);
  }
  return segments;
}

/** The value at `path` inside `root`, or undefined when any segment is missing. */
export function resolvePath(root: unknown, path: string): unknown {
  return resolveSegments(root, splitPath(path));
}

function resolveSegments(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (FORBIDDEN_SEGMENTS.has(segment)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
