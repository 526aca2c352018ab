/** The executor's redaction of `{{secrets.*}}` values: every spelling of a value, only where it is. */
import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import { redactedError, redactingCaller, secretRedactor } from '../../src/executor/secret-redaction.ts';

const SECRET = 'p@ss "word"/42';
const secrets = secretRedactor([SECRET, 'other-secret'])!;

const call = (headers: Record<string, string>): ApiCall => ({
  operation: 'http.request',
  method: 'POST',
  path: 'https://hooks.example.com/',
  headers,
  write: true,
});

describe('secret redaction', () => {
  it('replaces a value as written, JSON-escaped and URL-encoded, in keys and values, deeply', () => {
    const id = new LosslessNumber('12345678901234567890');
    const out = secrets.redact({
      echo: `Bearer ${SECRET}`,
      json: JSON.stringify({ token: SECRET }),
      query: `?t=${encodeURIComponent(SECRET)}`,
      [SECRET]: ['other-secret and more', 7, null, id],
    });
    expect(out).toEqual({
      echo: 'Bearer ***',
      json: '{"token":"***"}',
      query: '?t=***',
      '***': ['*** and more', 7, null, id],
    });
    expect(secretRedactor([])).toBeUndefined();
  });

  it('redacts the answers and errors of calls that carried a secret only', async () => {
    const echo = {
      call: async (c: ApiCall) => ({ class: 'ok' as const, data: { seen: c.headers }, durationMs: 1 }),
      dropToken: () => undefined,
      tokenKey: async () => 'k',
    };
    const caller = redactingCaller(echo, secrets);
    expect((await caller.call(call({ a: `x ${SECRET}` }))).data).toEqual({ seen: { a: 'x ***' } });
    // A call without a secret cannot echo one: its answer is passed through, even if it looks like one.
    const plain = await caller.call(call({ a: 'nothing' }));
    expect(plain.data).toEqual({ seen: { a: 'nothing' } });

    const failing = { ...echo, call: async () => Promise.reject(new TypeError(`bad header ${SECRET}`)) };
    await expect(redactingCaller(failing, secrets).call(call({ a: SECRET }))).rejects.toMatchObject({
      name: 'TypeError',
      message: 'bad header ***',
    });
  });

  it('keeps an AutopilotError its code while its message and details lose the value', () => {
    const error = redactedError(
      new AutopilotError('AP_TEMPLATE_INVALID', `plus: expected a number, got "${SECRET}"`, { v: SECRET }),
      secrets,
    ) as AutopilotError;
    expect(error.code).toBe('AP_TEMPLATE_INVALID');
    expect(error.message).toBe('plus: expected a number, got "***"');
    expect(error.details).toEqual({ v: '***' });
  });
});
