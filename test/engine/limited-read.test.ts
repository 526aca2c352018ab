/**
 * Reads made while matching retry a blip of the API, the plugin token's fetch included, before
 * the event fails (a failed event waits for its retry, and its work item with it).
 */
import { describe, expect, it } from 'vitest';
import { createLimitedRead } from '../../src/engine/limited-read.ts';
import { AutopilotError, isAutopilotError } from '../../src/errors.ts';
import { createLocalLimiter } from '../../src/executor/rate-limiter.ts';
import type { ApiCall } from '../../src/plan/run.ts';
import { ScriptedApi } from '../executor/support/scripted-api.ts';

const query: ApiCall = {
  operation: 'workItem.query',
  method: 'POST',
  path: '/open_api/demo/work_item/filter',
  body: {},
  write: false,
};

/** A read whose plugin token fails with each of `tokenFailures` in turn, then is fetched. */
function readWith(tokenFailures: AutopilotError[]) {
  const api = new ScriptedApi().on('workItem.query', { class: 'ok', data: { found: true } });
  let tokenFetches = 0;
  api.tokenKey = async () => {
    const failure = tokenFailures[tokenFetches++];
    if (failure) throw failure;
    return 'plugin-token-key';
  };
  const waits: number[] = [];
  const read = createLimitedRead({
    api,
    limiter: createLocalLimiter(),
    now: () => 0,
    wait: async (ms) => void waits.push(ms),
  });
  return { read, api, waits, tokenFetches: () => tokenFetches };
}

const blip = () => new AutopilotError('AP_API_TRANSIENT', 'plugin token unavailable: 50006');

describe('limited read', () => {
  it('retries a plugin token that could not be fetched for now, then reads', async () => {
    const { read, api, waits } = readWith([
      blip(),
      new AutopilotError('AP_API_RATE_LIMITED', 'plugin token unavailable: 10429'),
    ]);
    expect(await read(query)).toEqual({ found: true });
    expect(api.callsOf('workItem.query')).toHaveLength(1);
    expect(waits).toEqual([200, 400]);
  });

  it('gives up after its attempts when the token stays unavailable', async () => {
    const { read, api, tokenFetches } = readWith([blip(), blip(), blip(), blip()]);
    const error = await read(query).catch((e: unknown) => e);
    expect(isAutopilotError(error, 'AP_API_TRANSIENT')).toBe(true);
    expect(tokenFetches()).toBe(3);
    expect(api.calls).toEqual([]);
  });

  it('does not retry refused credentials: an operator must fix them', async () => {
    const { read, tokenFetches } = readWith([
      new AutopilotError('AP_API_AUTH', 'plugin token unavailable: 10001'),
    ]);
    const error = await read(query).catch((e: unknown) => e);
    expect(isAutopilotError(error, 'AP_API_AUTH')).toBe(true);
    expect(tokenFetches()).toBe(1);
  });
});
