/**
 * The dotted path resolver shared by conditions and templates: `fields.priority`,
 * `roles.PM`, `current_nodes.0.id`, `current_nodes.*.id`. Only own properties are followed and the prototype
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

/**
 * `*` takes every element of a list, so `related.rule_x.*.state` is the list of their states
 * (elements without the rest of the path are left out); on anything but a list it is nothing.
 */
function resolveSegments(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const [at, segment] of segments.entries()) {
    if (segment === '*') {
      if (!Array.isArray(current)) return undefined;
      const rest = segments.slice(at + 1);
      return current.map((element) => resolveSegments(element, rest)).filter((v) => v !== undefined);
    }
    if (current === null || typeof current !== 'object') return undefined;
    if (FORBIDDEN_SEGMENTS.has(segment)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
