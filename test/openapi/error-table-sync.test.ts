/**
 * Keeps src/openapi/error-table.ts in step with the error tables of the API reference README
 * (when the reference is present): every code row and every 50006 inner message row.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classOfCode } from '../../src/openapi/error-table.ts';
import type { OutcomeClass } from '../../src/openapi/types.ts';

const README = '/work/shared/feishu-project-api/README.md';
const present = existsSync(README);
const text = present ? readFileSync(README, 'utf8') : '';

const cells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

/** Our class for the README's class; its `conflict` is ours `permanent` except the two documented cases. */
function expected(readmeClass: string, code: number, message: string): OutcomeClass | undefined {
  if (code === 10430) return 'already_applied';
  if (/transitioning|in transition/i.test(message)) return 'transient';
  if (readmeClass.startsWith('auth')) return 'auth';
  if (readmeClass.startsWith('rate-limited')) return 'rate_limited';
  if (readmeClass.startsWith('retryable-transient')) return 'transient';
  if (readmeClass.startsWith('permanent-client-error') || readmeClass.startsWith('conflict'))
    return 'permanent';
  return undefined;
}

function codeRows(): Array<{ code: number; message: string; readmeClass: string }> {
  const section = text.slice(text.indexOf('## 7. Error codes'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map(cells)
    .flatMap((row) => {
      const index = /^\d{4,}$/.test(row[0] ?? '') ? 0 : /^\d{4,}$/.test(row[1] ?? '') ? 1 : -1;
      if (index < 0) return [];
      return [{ code: Number(row[index]), message: row[index + 1] ?? '', readmeClass: row.at(-1) ?? '' }];
    });
}

function innerMessageRows(): Array<{ messages: string[]; readmeClass: string }> {
  const start = text.indexOf('Known inner messages for `err_code 50006`');
  const table = text.slice(start, text.indexOf('Simulator guidance', start));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map(cells)
    .map((row) => ({
      messages: [...(row[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ''),
      readmeClass: row.at(-1) ?? '',
    }));
}

describe.runIf(present)('error table vs the API reference README', () => {
  it('classifies every code row as the README says', () => {
    const rows = codeRows();
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) {
      const want = expected(row.readmeClass, row.code, row.message);
      if (want === undefined) continue; // 50006 "see below": the inner-message table decides
      expect(classOfCode(row.code, [row.message]), `${row.code} ${row.message} (${row.readmeClass})`).toBe(
        want,
      );
    }
  });

  it('classifies every documented 50006 inner message as the README says', () => {
    const rows = innerMessageRows();
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      for (const message of row.messages) {
        const want = expected(row.readmeClass, 50006, message);
        expect(
          classOfCode(50006, [message.replace(/\{\{\w+\}\}/g, 'x')]),
          `${message} (${row.readmeClass})`,
        ).toBe(want);
      }
    }
  });
});
