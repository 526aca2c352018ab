/** The demo's table: one row per event, the rules it matched and the API effects of their runs. */
import type { RunningEngine } from '../engine/start-engine.ts';
import { USERS } from '../simulator/model/seed-config.ts';
import type { AuditRecord } from '../store/ports.ts';

export interface EventRow {
  eventId: string;
  type: string;
  by: string;
  matched: string[];
  selfSkipped: number;
  effects: string[];
}

export interface DemoSummary {
  rows: EventRow[];
  steps: Array<{ title: string; expect: string[]; got: string[]; ok: boolean }>;
  redelivery: { status: number; duplicate: boolean };
  apiCalls: number;
  actions: number;
  ok: boolean;
}

const PEOPLE: Record<string, string> = Object.fromEntries(
  Object.entries(USERS).map(([name, key]) => [key, name]),
);

export async function summarize(
  engine: RunningEngine,
  steps: Array<{ title: string; expect: string[]; eventIds: string[] }>,
  redelivery: { status: number; duplicate: boolean },
  engineUserKey: string,
): Promise<DemoSummary> {
  const audit = await engine.stores.audit.query({ limit: 100_000, order: 'oldest' });
  const byEvent = new Map<string, AuditRecord[]>();
  for (const record of audit) {
    if (record.eventId) byEvent.set(record.eventId, [...(byEvent.get(record.eventId) ?? []), record]);
  }
  const rows: EventRow[] = [];
  for (const [eventId, records] of byEvent) {
    const stored = await engine.stores.events.get(eventId);
    // A card click stores the clicker's Lark ids; the user key is looked up when it is processed.
    const operator = stored?.event.operator ?? stored?.event.card?.operator.user_id ?? '';
    rows.push({
      eventId,
      type: stored?.event.type ?? '?',
      by: operator === engineUserKey ? 'engine' : (PEOPLE[operator] ?? (operator || '?')),
      matched: records.filter((r) => r.kind === 'rule.matched').map((r) => r.ruleId ?? '?'),
      selfSkipped: records.filter((r) => r.kind === 'rule.not_matched' && skippedAs(r, 'self_event')).length,
      effects: records.filter((r) => r.kind === 'action.attempted').map(effectOf),
    });
  }
  const matchedOf = (ids: string[]) => rows.filter((r) => ids.includes(r.eventId)).flatMap((r) => r.matched);
  const stepResults = steps.map((s) => {
    const got = matchedOf(s.eventIds);
    return { title: s.title, expect: s.expect, got, ok: s.expect.every((id) => got.includes(id)) };
  });
  const simRequests = engine.simulator?.requests() ?? [];
  const apiCalls = simRequests.filter(
    (r) => !r.path.startsWith('/_sim') && !r.path.includes('/authen/'),
  ).length;
  const actions = audit.filter((r) => r.kind === 'action.attempted' && isOk(r)).length;
  const loopBlocked = rows.some((r) => r.by === 'engine' && r.selfSkipped > 0);
  const ok = stepResults.every((s) => s.ok) && redelivery.duplicate && loopBlocked;
  return { rows, steps: stepResults, redelivery, apiCalls, actions, ok };
}

function skippedAs(record: AuditRecord, reason: string): boolean {
  const skipped = (record.detail?.skipped ?? {}) as { reason?: string };
  return skipped.reason === reason;
}

function isOk(record: AuditRecord): boolean {
  const outcome = (record.detail?.outcome ?? {}) as { class?: string };
  return outcome.class === 'ok' || outcome.class === 'already_applied';
}

function effectOf(record: AuditRecord): string {
  const request = (record.detail?.request ?? {}) as { operation?: string };
  const outcome = (record.detail?.outcome ?? {}) as { class?: string; errCode?: number };
  const mark = isOk(record) ? '✓' : `✗ ${outcome.class}${outcome.errCode ? ` ${outcome.errCode}` : ''}`;
  return `${request.operation ?? '?'} ${mark}`;
}

export function renderReport(summary: DemoSummary): string {
  const header = ['event', 'type', 'by', 'rules matched', 'API effects'];
  const body = summary.rows.map((r) => [
    r.eventId.slice(0, 8),
    r.type,
    r.by,
    r.matched.join(', ') || (r.selfSkipped > 0 ? `— (own change: ${r.selfSkipped} rule(s) skipped)` : '—'),
    r.effects.join(', ') || '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
  const steps = summary.steps
    .map((s) => `${s.ok ? '✓' : '✗'} ${s.title}: expected ${s.expect.join(', ')}`)
    .join('\n');
  const redelivery = `${summary.redelivery.duplicate ? '✓' : '✗'} redelivered webhook answered ${summary.redelivery.status}, stored once`;
  const loop = `${summary.rows.some((r) => r.by === 'engine' && r.selfSkipped > 0) ? '✓' : '✗'} the engine's own changes came back as webhooks and were not matched again`;
  const calls = `API calls: ${summary.apiCalls} for ${summary.actions} executed actions (${(summary.apiCalls / Math.max(1, summary.actions)).toFixed(2)} per action, token calls excluded)`;
  return [table, '', steps, redelivery, loop, calls, '', summary.ok ? 'demo OK' : 'demo FAILED'].join('\n');
}
