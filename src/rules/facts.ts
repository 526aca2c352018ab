/** Roots a condition's `fact` or a template's `{{path}}` may start with. */
export const FACT_ROOTS = ['event', 'work_item', 'change', 'command', 'now', 'origin'] as const;

/** Extra roots only templates may use: results of earlier actions of the same run, and the rule itself. */
export const TEMPLATE_ONLY_ROOTS = ['steps', 'rule'] as const;

export type FactRoot = (typeof FACT_ROOTS)[number];
