/**
 * Defects the reliability suite found, pinned as fast tests that run with `npm test`:
 * a deeply nested webhook body answered 500 (and failed the deliveries sharing its write), and
 * `GET /api/runs?limit=-1` answered 500.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../src/errors.ts';
import type { Event } from '../../src/events/event.ts';
import { batchedAppend } from '../../src/ingest/http/batched-append.ts';
import { errorHandler } from '../../src/ingest/http/http-errors.ts';
import { MAX_BODY_DEPTH, nestingDepth, parseJsonBody } from '../../src/ingest/http/parse-json.ts';
import { adminRoutes } from '../../src/server/admin-routes.ts';
import type { EventLog, RunFilter } from '../../src/store/ports.ts';

describe('webhook bodies nested too deeply', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('are refused as the client’s error, not parsed', () => {
    expect(() => parseJsonBody(Buffer.from(nested(MAX_BODY_DEPTH + 1)))).toThrow(
      expect.objectContaining({ code: 'AP_BAD_REQUEST', message: expect.stringMatching(/nested deeper/) }),
    );
    expect(() => parseJsonBody(Buffer.from(nested(20_000)))).toThrow(AutopilotError);
    expect(parseJsonBody(Buffer.from(nested(MAX_BODY_DEPTH)))).toBeDefined();
  });

  it('brackets inside strings, escaped quotes included, do not count', () => {
    expect(nestingDepth(`{"a":"${'['.repeat(500)}\\"{{{"}`)).toBe(1);
    expect(nestingDepth('{"a":[{"b":[]}]}')).toBe(4);
  });
});

describe('group commit', () => {
  const event = (id: string): Event => ({
    id,
    source: 'webhook',
    type: 'webhook.x',
    occurredAt: 1,
    payload: {},
  });

  it('a delivery the store refuses does not fail the others that shared its write', async () => {
    const stored: string[] = [];
    const log = {
      async appendMany(events: readonly Event[]) {
        if (events.some((e) => e.id === 'bad')) {
          throw new AutopilotError('AP_STORE_BAD_INPUT', 'event bad cannot be stored as JSON');
        }
        stored.push(...events.map((e) => e.id));
        return events.map(() => ({ inserted: true }));
      },
    } as unknown as EventLog;
    const append = batchedAppend(log);
    const results = await Promise.allSettled([
      append(event('a'), 1),
      append(event('bad'), 1),
      append(event('b'), 1),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(stored.sort()).toEqual(['a', 'b']);
  });
});

describe('GET /api/runs limit', () => {
  it.each(['-1', '0', '1.5', 'abc', '1001', '1e9'])(
    'limit=%s is a 400, never reaches the store',
    async (limit) => {
      const seen: RunFilter[] = [];
      const app = express();
      app.use(
        adminRoutes({
          token: 'admin-token-for-regressions-0123456789',
          rules: {} as never,
          events: {} as never,
          runs: {
            list: async (filter: RunFilter) => {
              seen.push(filter);
              if (!Number.isInteger(filter.limit) || (filter.limit ?? 0) < 1)
                throw new Error('store refuses limit');
              return [];
            },
          } as never,
          audit: {} as never,
          now: () => 0,
          traceEvent: async () => undefined,
          pausedPairs: () => [],
        }),
      );
      app.use(errorHandler(pino({ level: 'silent' })));
      const server = createServer(app);
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const headers = { authorization: 'Bearer admin-token-for-regressions-0123456789' };
      const bad = await fetch(`${base}/api/runs?limit=${limit}`, { headers });
      const good = await fetch(`${base}/api/runs?limit=5`, { headers });
      await new Promise<void>((done) => server.close(() => done()));
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'AP_BAD_REQUEST' } });
      expect(good.status).toBe(200);
      expect(seen).toEqual([{ state: undefined, ruleId: undefined, limit: 5 }]);
    },
  );
});
