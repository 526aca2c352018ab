import { RE2JS } from 're2js';
import { AutopilotError } from '../errors.ts';

/** Patterns longer than this are refused when the rule is loaded. */
export const MAX_PATTERN_LENGTH = 1_000;
/**
 * Inputs longer than this are tested on their first MAX_INPUT_LENGTH characters only, so one huge
 * field value cannot make a condition slow. A pattern anchored at the end (`$`) therefore sees the
 * cut, not the real end, of such an input.
 */
export const MAX_INPUT_LENGTH = 10_000;

export interface SafeRegex {
  /** True when the pattern matches anywhere in the input (anchor with ^ and $ for a full match). */
  test(input: string): boolean;
}

/**
 * Compiles a `matches` pattern on re2js: linear-time matching, no backtracking, so a pattern like
 * `(a+)+$` cannot stall the engine. RE2 syntax: no backreferences, no lookaround; `(?i)` for
 * case-insensitive. Throws AutopilotError('AP_RULE_INVALID') for a bad or unsupported pattern.
 */
export function compileSafeRegex(pattern: string): SafeRegex {
  if (typeof pattern !== 'string') throw invalid(pattern, 'a pattern must be a string');
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw invalid(pattern.slice(0, 40) + '…', `pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  const unsupported = unsupportedFeature(pattern);
  if (unsupported)
    throw invalid(pattern, `${unsupported} not supported (the regex engine runs in linear time)`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    throw invalid(pattern, (error as Error).message.replace(/^error parsing regexp: /, ''));
  }
  return {
    test: (input) =>
      compiled.test(input.length > MAX_INPUT_LENGTH ? input.slice(0, MAX_INPUT_LENGTH) : input),
  };
}

function unsupportedFeature(pattern: string): string | undefined {
  // Inspect escapes and group openings outside character classes only.
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'backreferences are';
      i++;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (!inClass && c === '(' && /^\(\?(=|!|<=|<!)/.test(pattern.slice(i, i + 4)))
      return 'lookaround is';
  }
  return undefined;
}

function invalid(pattern: string, why: string): AutopilotError {
  return new AutopilotError('AP_RULE_INVALID', `invalid regex /${pattern}/: ${why}`, { pattern });
}
