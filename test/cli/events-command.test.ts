import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditWriter } from '../../src/audit/audit-writer.ts';
import type { Event } from '../../src/events/event.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import { cli } from '../audit/support-cli.ts';

let dir: string;

function event(id: string, type: string, workItemId?: string): Event {
  return {
    id,
    source: type === 'chat.command' ? 'chat' : 'feishu',
    type,
    occurredAt: Date.parse('2026-12-01T01:00:00Z'),
    projectKey: 'space',
    ...(workItemId ? { workItem: { id: workItemId, typeKey: 'issue' } } : {}),
    payload: {},
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ap-events-'));
  const stores = await openSqliteStores({ path: join(dir, 'autopilot.db') });
  const audit = createAuditWriter(stores.audit, Date.now);
  const now = Date.now();
  const first = event('feishu:first', 'work_item.created', '11');
  const second = event('feishu:second', 'work_item.updated', '12');
  const third = event('chat:third', 'chat.command');
  // Received a minute apart, oldest first; a week-old one falls outside the default window.
  await stores.events.append(event('feishu:old', 'work_item.created', '10'), now - 8 * 86_400_000);
  await stores.events.append(first, now - 120_000);
  await stores.events.append(second, now - 60_000);
  await stores.events.append(third, now);
  await audit.ruleEvaluated(first, 'p0-to-oncall', true, []);
  await audit.ruleEvaluated(first, 'not-this-one', false, []);
  await stores.events.markProcessed(first.id, now);
  await stores.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('autopilot events', () => {
  it('lists the last day of events newest first, with status and the rules that matched', async () => {
    const { code, out } = await cli(['events', '--data', dir], '/');
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^EVENT\s+RECEIVED AT\s+SOURCE\s+TYPE\s+WORK ITEM\s+STATUS\s+MATCHED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'chat:third',
      'feishu:second',
      'feishu:first',
    ]);
    expect(lines[3]).toMatch(/feishu:first .* work_item\.created\s+space:11\s+processed\s+p0-to-oncall$/);
    expect(lines[1]).toMatch(/chat\.command\s+-\s+pending\s+-$/);
  });

  it('filters by type and source, limits, widens the window and answers JSON', async () => {
    const byType = await cli(['events', '--type', 'work_item.updated', '--json', '--data', dir], '/');
    expect(JSON.parse(byType.out).map((e: { id: string }) => e.id)).toEqual(['feishu:second']);
    const bySource = await cli(['events', '--source', 'chat', '--json', '--data', dir], '/');
    expect(JSON.parse(bySource.out)).toEqual([
      expect.objectContaining({ id: 'chat:third', source: 'chat', status: 'pending', matchedRules: [] }),
    ]);
    const limited = await cli(['events', '--limit', '2', '--json', '--data', dir], '/');
    expect(JSON.parse(limited.out).map((e: { id: string }) => e.id)).toEqual(['chat:third', 'feishu:second']);
    const week = await cli(['events', '--since', '30d', '--json', '--data', dir], '/');
    expect(JSON.parse(week.out).at(-1)).toMatchObject({ id: 'feishu:old', workItem: 'space:10' });
  });

  it('says so when nothing matches, and refuses a bad command line with exit 2', async () => {
    const none = await cli(['events', '--type', 'no.such.type', '--data', dir], '/');
    expect(none).toMatchObject({ code: 0, out: 'no events\n' });
    expect((await cli(['events', '--limit', '0', '--data', dir], '/')).code).toBe(2);
    const badSince = await cli(['events', '--since', 'soon', '--data', dir], '/');
    expect(badSince.code).toBe(2);
    expect(badSince.err).toContain('usage: autopilot events');
    expect(badSince.err).not.toContain('autopilot backtest');
    expect((await cli(['events', '--data', join(dir, 'missing')], '/')).code).toBe(1);
  });
});
