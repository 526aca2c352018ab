import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { MAX_INPUT_LENGTH, compileSafeRegex } from '../../src/rules/safe-regex.ts';

function refusal(pattern: string): Error {
  try {
    compileSafeRegex(pattern);
  } catch (error) {
    expect(isAutopilotError(error, 'AP_RULE_INVALID')).toBe(true);
    return error as Error;
  }
  throw new Error(`pattern ${pattern} was accepted`);
}

describe('compileSafeRegex', () => {
  it('matches anywhere unless anchored, with (?i) for case', () => {
    expect(compileSafeRegex('P[01]').test('bug P0 crash')).toBe(true);
    expect(compileSafeRegex('^P[01]$').test('bug P0')).toBe(false);
    expect(compileSafeRegex('(?i)^urgent').test('URGENT: fix')).toBe(true);
    expect(compileSafeRegex('[(]x').test('(x')).toBe(true);
  });

  it('answers a catastrophic pattern on a long input (linear time, no backtracking)', () => {
    const regex = compileSafeRegex('(a+)+$');
    expect(regex.test('a'.repeat(9_000) + '!')).toBe(false);
    expect(regex.test('a'.repeat(9_000))).toBe(true);
    expect(compileSafeRegex('^(a|a)*b$').test('a'.repeat(9_000))).toBe(false);
  });

  it('tests only the first 10,000 characters of a longer input', () => {
    const long = 'x'.repeat(MAX_INPUT_LENGTH) + 'needle';
    expect(compileSafeRegex('needle').test(long)).toBe(false);
    expect(compileSafeRegex('needle').test('x'.repeat(100) + 'needle')).toBe(true);
  });

  it('refuses syntax errors with the reason', () => {
    expect(refusal('[a-').message).toMatch(/invalid regex \/\[a-\/: missing closing \]/);
    expect(refusal('a{1001}').message).toMatch(/invalid repeat count/);
    expect(refusal('(abc').message).toMatch(/missing closing \)/);
  });

  it('refuses backreferences and lookaround as unsupported', () => {
    expect(refusal('(a)\\1').message).toMatch(/backreferences are not supported/);
    expect(refusal('(?<n>a)\\k<n>').message).toMatch(/backreferences are not supported/);
    expect(refusal('a(?=b)').message).toMatch(/lookaround is not supported/);
    expect(refusal('a(?!b)').message).toMatch(/lookaround is not supported/);
    expect(refusal('(?<=a)b').message).toMatch(/lookaround is not supported/);
    expect(refusal('(?<!a)b').message).toMatch(/lookaround is not supported/);
  });

  it('refuses patterns over 1,000 characters', () => {
    expect(refusal('a'.repeat(1_001)).message).toMatch(/longer than 1000 characters/);
    expect(compileSafeRegex('a'.repeat(1_000)).test('a'.repeat(1_000))).toBe(true);
  });
});
