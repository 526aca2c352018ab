import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src/store/sqlite/json-codec.ts';

describe('stored JSON', () => {
  it('keeps integers beyond 2^53 whole and gives them back as bigint', () => {
    const text = encodeJson(
      { id: 7433128839025672193n, lossless: new LosslessNumber('9007199254740993') },
      'x',
    );
    expect(text).toBe('{"id":7433128839025672193,"lossless":9007199254740993}');
    expect(decodeJson(text)).toEqual({ id: 7433128839025672193n, lossless: 9007199254740993n });
  });

  it('leaves ordinary values alone: safe numbers, decimals, huge floats and digit strings', () => {
    const value = { n: 42, pi: 3.14, huge: 1e300, id: '7433128839025672193', list: [1, '2', null] };
    expect(decodeJson(encodeJson(value, 'x'))).toEqual(value);
    expect(decodeJson(encodeJson(new LosslessNumber('1.5'), 'x'))).toBe(1.5);
  });

  it('names what could not be stored', () => {
    expect(() => encodeJson(undefined, 'state k')).toThrow(/state k cannot be stored as JSON/);
    expect(() => encodeJson(Symbol('s'), 'x')).toThrow(
      expect.objectContaining({ code: 'AP_STORE_BAD_INPUT' }),
    );
  });
});
