import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditWriter } from '../../src/audit/audit-writer.ts';
import { summarizeRequest } from '../../src/audit/request-summary.ts';
import { purgeAudit } from '../../src/audit/retention.ts';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.ts';
import type { Stores } from '../../src/store/ports.ts';
import { buildRun, commentCall } from '../executor/support/builders.ts';

let stores: Stores;
beforeEach(async () => {
  stores = await openSqliteStores({ path: ':memory:' });
});
afterEach(async () => {
  await stores.close();
});

describe('request summary', () => {
  it('keeps what was asked and masks anything named like a credential', () => {
    const summary = summarizeRequest({
      operation: 'api.custom',
      method: 'POST',
      path: '/open_api/x',
      query: { page: '1', access_token: 'u-123' },
      body: { name: 'n', nested: [{ plugin_secret: 's', Authorization: 'Bearer b', ok: 1 }] },
      write: true,
    });
    expect(summary).toEqual({
      operation: 'api.custom',
      method: 'POST',
      path: '/open_api/x',
      write: true,
      query: { page: '1', access_token: '[redacted]' },
      body: '{"name":"n","nested":[{"plugin_secret":"[redacted]","Authorization":"[redacted]","ok":1}]}',
    });
  });

  it('cuts long bodies', () => {
    const summary = summarizeRequest(commentCall('1', 'x'.repeat(2000)));
    expect(summary.body).toMatch(/… \(\d+ chars\)$/);
    expect(summary.body?.length).toBeLessThan(560);
  });
});

describe('audit writer', () => {
  it('writes one record per decision, queryable by event, rule, run, work item and time', async () => {
    let now = 1000;
    const audit = createAuditWriter(stores.audit, () => now);
    const run = buildRun({ id: 'r1', eventId: 'e1', ruleId: 'rule-x', lane: 'space:42' });
    const action = run.actions[0];
    if (!action) throw new Error('no action');
    await audit.runPlanned(run);
    now = 2000;
    await audit.actionAttempted({
      run,
      action,
      call: commentCall('42', 'hi'),
      attempt: 1,
      outcome: { class: 'transient', errCode: 50006, logId: 'L', data: { big: 'x' }, durationMs: 12 },
      decision: 'retry',
      durationMs: 13,
    });
    await audit.retryScheduled(run, action, 3000, 1, { code: 'AP_API_TRANSIENT', message: 'm' });
    now = 4000;
    await audit.runDeadLettered(run, action, { code: 'AP_API_PERMANENT', message: 'no', errCode: 20038 });

    expect((await stores.audit.query({ eventId: 'e1' })).map((r) => r.kind)).toEqual([
      'run.planned',
      'action.attempted',
      'action.retry_scheduled',
      'run.dead_lettered',
    ]);
    expect(await stores.audit.query({ workItem: 'space:42', since: 2000, until: 4000 })).toHaveLength(2);
    expect(await stores.audit.query({ ruleId: 'rule-y' })).toEqual([]);
    const [attempted] = await stores.audit.query({ runId: 'r1', kind: 'action.attempted' });
    expect(attempted?.detail).toEqual({
      action: 'comment',
      attempt: 1,
      request: expect.objectContaining({ operation: 'comment.create', method: 'POST' }),
      // The response data is not copied into the audit, only its classification.
      outcome: { class: 'transient', errCode: 50006, logId: 'L', durationMs: 12 },
      decision: 'retry',
      durationMs: 13,
    });
  });

  it('purges records older than the retention', async () => {
    const audit = createAuditWriter(stores.audit, () => 1000);
    await audit.runPlanned(buildRun());
    const later = createAuditWriter(stores.audit, () => 90_000);
    await later.runPlanned(buildRun());
    expect(await purgeAudit(stores.audit, 60_000, 100_000)).toBe(1);
    expect(await stores.audit.query({})).toHaveLength(1);
    expect(() => purgeAudit(stores.audit, 0, 1)).toThrow(/audit retention must be positive/);
  });
});
