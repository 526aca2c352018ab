/**
 * The README's "Posting a webhook by hand" walk-through, step by step against a running engine
 * with the shipped rules on the built-in simulator: the quick-start fixture is taken with the
 * simulator's public token, `autopilot events` lists it, `autopilot trace` tells its story.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS } from '../../src/simulator/index.ts';
import { cli } from '../audit/support-cli.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';

const RULES_DIR = new URL('../../rules/', import.meta.url);
const FIXTURE = new URL('../fixtures/events/crash-on-login-created.json', import.meta.url);
const CRASH_ON_LOGIN = 6437110004;

let t: TestEngine;
beforeAll(async () => {
  const rules = Object.fromEntries(
    readdirSync(RULES_DIR)
      .filter((name) => name.endsWith('.yaml'))
      .map((name) => [name, readFileSync(new URL(name, RULES_DIR), 'utf8')]),
  );
  t = await startTestEngine({ rules });
}, 120_000);
afterAll(async () => t?.close());

describe('posting a webhook by hand (README)', () => {
  let eventId: string;

  it('takes the fixture as curl sends it, with the simulator token inside', async () => {
    const response = await fetch(`${t.url}/webhooks/feishu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(FIXTURE),
    });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { ok: boolean; duplicate: boolean; eventId: string };
    expect(answer).toMatchObject({ ok: true, duplicate: false });
    eventId = answer.eventId;
    expect(eventId).toBe('feishu:5c1e7d2a-0c4b-4d61-9a1e-000000000004');
  });

  it('runs the shipped rules on it: the P0 bug is escalated and assigned', async () => {
    const sim = t.engine.simulator!;
    await eventually(
      () => {
        const item = sim.state.work_items.find((w) => w.id === CRASH_ON_LOGIN);
        return item?.status?.state_key === 'in_progress' ? item : undefined;
      },
      'the bug to move to in_progress',
      60_000,
    );
    const comments = sim.state.comments.filter(
      (c) => c.work_item_id === CRASH_ON_LOGIN && c.operator === USERS.bot,
    );
    expect(comments.map((c) => c.content).join('\n')).toContain('P0 raised by');
  });

  it('lists the event with autopilot events, and autopilot trace tells its story', async () => {
    const data = join(t.dir, 'data');
    const listed = await eventually(
      async () => {
        const { code, out } = await cli(['events', '--json', '--data', data], '/');
        expect(code).toBe(0);
        const events = JSON.parse(out) as Array<{ id: string; status: string; matchedRules: string[] }>;
        const ours = events.find((e) => e.id === eventId);
        return ours?.status === 'processed' ? ours : undefined;
      },
      'the event to be processed',
      60_000,
    );
    expect(listed.matchedRules).toEqual(expect.arrayContaining(['escalate-p0-bugs', 'assign-critical-bugs']));
    const table = await cli(['events', '--data', data], '/');
    expect(table.out).toContain(eventId);
    const trace = await cli(['trace', eventId, '--data', data], '/');
    expect(trace.code).toBe(0);
    expect(trace.out).toContain('escalate-p0-bugs');
  });
});
