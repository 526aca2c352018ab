/** Roots a condition's `fact` or a template's `{{path}}` may start with. */
/** `vars`: variables of `set` / `increment` steps, `vars.<work_item|rule|space>.<name>`. */
export const FACT_ROOTS = [
  'event',
  'work_item',
  'change',
  'command',
  'now',
  'origin',
  'vars',
  'related',
  'parent',
] as const;

/**
 * Extra roots only templates may use: results of earlier steps of the same run, the rule itself,
 * a for_each's element and its position, and secrets (in http and api actions).
 */
export const TEMPLATE_ONLY_ROOTS = ['steps', 'rule', 'item', 'index', 'secrets'] as const;

/** Facts a step's condition (`when`, a choose pair, `recheck`) may read besides the match-time ones. */
export const STEP_FACTS = ['steps', 'item', 'index'] as const;

export type FactRoot = (typeof FACT_ROOTS)[number];

/**
 * Roots whose values exist only when a step runs (results of earlier steps, the for_each item,
 * secrets, variables, related and parent work items): steps whose templates read them are
 * rendered once, at execution (docs/design/run-program.md §2).
 */
export const EXECUTION_ROOTS = ['steps', 'item', 'index', 'secrets', 'vars', 'related', 'parent'] as const;
