import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { int64, parseJson, stringifyJson } from '../../src/openapi/json.ts';
import { REDACTED, redact, redactText } from '../../src/openapi/redact.ts';

describe('parseJson', () => {
  it('keeps unsafe integers as strings and ids as strings, other numbers as numbers', () => {
    const parsed = parseJson(
      '{"n":9007199254740993,"ok":12,"f":1.5,"id":7,"ID":"x","task_id":3,"work_item_ids":[1,2],"list":[3],"t":1761464548000}',
    );
    expect(parsed).toEqual({
      n: '9007199254740993',
      ok: 12,
      f: 1.5,
      id: '7',
      ID: 'x',
      task_id: '3',
      work_item_ids: ['1', '2'],
      list: [3],
      t: 1761464548000,
    });
  });

  it('never rounds an integer: unsafe ones and ids come back as their exact digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => {
        const parsed = parseJson(`{"n":${n},"task_id":${n}}`) as { n: unknown; task_id: unknown };
        const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
        expect(parsed.n).toEqual(safe ? Number(n) : String(n));
        expect(parsed.task_id).toBe(String(n));
        expect(stringifyJson({ n: int64(String(n)) })).toBe(`{"n":${n}}`);
      }),
    );
  });

  it('does not let __proto__ reach the prototype', () => {
    const parsed = parseJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it('rejects text that is not JSON with a SyntaxError', () => {
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });
});

describe('int64 and stringifyJson', () => {
  it('writes ids as bare integers without rounding', () => {
    expect(stringifyJson({ a: int64('7565431108055490001'), b: int64(42), c: 5n, d: 'x' })).toBe(
      '{"a":7565431108055490001,"b":42,"c":5,"d":"x"}',
    );
  });

  it.each(['', '1.5', 'abc', '12345678901234567890', ' 1'])('refuses %j', (value) => {
    let caught: unknown;
    try {
      int64(value);
    } catch (error) {
      caught = error;
    }
    expect(isAutopilotError(caught, 'AP_API_CALL_INVALID')).toBe(true);
  });

  it('refuses a number that already lost precision', () => {
    expect(() => int64(Number('7565431108055490001'))).toThrow(/not an int64 id/);
  });
});

describe('redact', () => {
  it('replaces known secrets and token-shaped strings anywhere, keeping everything else', () => {
    const value = {
      msg: 'secret abcdEFGH123 and p-49257489-f7d7-4cd6-b34f-98c6b81d0001',
      nested: [{ text: 'U-EFE05D32-B733-4B15-A960-6ACADF8E0001' }],
      count: 3,
      token: 'opaque',
      refresh_token: 'also-opaque',
      plugin_secret: 'zzz',
    };
    expect(redact(value, ['abcdEFGH123'])).toEqual({
      msg: `secret ${REDACTED} and ${REDACTED}`,
      nested: [{ text: REDACTED }],
      count: 3,
      token: REDACTED,
      refresh_token: REDACTED,
      plugin_secret: REDACTED,
    });
    expect(value.token).toBe('opaque');
  });

  it('ignores secrets too short to be one', () => {
    expect(redactText('a b c', ['a', ''])).toBe('a b c');
  });
});
