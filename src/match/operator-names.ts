/**
 * Operators a condition may use: json-rules-engine's built-ins plus ours. The rule validator
 * checks names against this list; src/match/operators.ts implements the custom ones (a test
 * keeps the two in step).
 */
export const BUILTIN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;

export const CUSTOM_OPERATORS = [
  'matches',
  'startsWith',
  'endsWith',
  'containsAny',
  'containsAll',
  'isEmpty',
  'changedFrom',
  'changedTo',
  'olderThan',
  'newerThan',
] as const;

export const OPERATOR_NAMES: readonly string[] = [...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS];
