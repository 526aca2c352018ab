import type { ErrorCode } from '../errors.ts';

/** One problem in a rule file, at a 1-based line and column. */
export interface RuleDiagnostic {
  file: string;
  line: number;
  column: number;
  code: ErrorCode;
  message: string;
}

/** A problem found on the parsed data, located later by its path in the document. */
export interface RuleIssue {
  /** Keys and indexes from the document root to the offending node. */
  path: (string | number)[];
  /** Point at the key of the last path segment instead of its value. */
  atKey?: boolean;
  /** Character offset inside a string value (a template's look-up), when the source maps 1:1. */
  offset?: number;
  code: ErrorCode;
  message: string;
}

/** `file:line:column: message`, the form editors and CI problem matchers read. */
export function formatDiagnostic(d: RuleDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

export function byPosition(a: RuleDiagnostic, b: RuleDiagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
}
