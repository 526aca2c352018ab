/** The dashboard's read models on PostgreSQL: hourly counts and one summary row per event. */
import type { PoolClient } from 'pg';
import { AutopilotError } from '../../errors.ts';
import {
  decodeCursor,
  eventPage,
  type CountDelta,
  type EventDelta,
  type EventRow,
} from '../audit-summary.ts';
import { requireCount } from '../input-checks.ts';
import {
  COUNT_BUCKET_MS,
  type AuditCount,
  type AuditKind,
  type EventListQuery,
  type EventSummary,
  type Page,
} from '../ports.ts';
import { query, type Db } from './postgres.ts';

const DEFAULT_PAGE = 50;

/** In the caller's transaction; rows in key order, so concurrent writers lock them in one order. */
export async function applySummaries(
  client: PoolClient,
  counts: CountDelta[],
  events: EventDelta[],
): Promise<void> {
  if (counts.length > 0) {
    await query(
      client,
      `INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
       ON CONFLICT (bucket, kind, rule_id) DO UPDATE
         SET n = audit_counts.n + excluded.n, last_at = greatest(audit_counts.last_at, excluded.last_at)`,
      [
        counts.map((c) => c.bucket),
        counts.map((c) => c.kind),
        counts.map((c) => c.ruleId),
        counts.map((c) => c.n),
        counts.map((c) => c.lastAt),
      ],
    );
  }
  const described = events.filter((e) => e.describe);
  const outcomes = events.filter((e) => !e.describe);
  if (described.length > 0) {
    await query(
      client,
      `INSERT INTO audit_events AS t (event_id, at, type, source, work_item, work_item_name, candidates,
         matched_rules, matched, succeeded, dead)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::integer[], $8::text[], $9::integer[], $10::integer[], $11::integer[])
       ON CONFLICT (event_id) DO UPDATE SET at = excluded.at, type = excluded.type,
         source = excluded.source, work_item = excluded.work_item,
         work_item_name = coalesce(excluded.work_item_name, t.work_item_name),
         candidates = excluded.candidates, matched_rules = excluded.matched_rules,
         matched = excluded.matched, succeeded = t.succeeded + excluded.succeeded,
         dead = t.dead + excluded.dead`,
      [
        described.map((e) => e.eventId),
        described.map((e) => e.at),
        described.map((e) => e.describe?.type ?? null),
        described.map((e) => e.describe?.source ?? null),
        described.map((e) => e.describe?.workItem ?? null),
        described.map((e) => e.describe?.workItemName ?? null),
        described.map((e) => e.describe?.candidates ?? 0),
        described.map((e) => JSON.stringify(e.describe?.matchedRules ?? [])),
        described.map((e) => e.describe?.matchedRules.length ?? 0),
        described.map((e) => e.succeeded),
        described.map((e) => e.dead),
      ],
    );
  }
  if (outcomes.length > 0) {
    await query(
      client,
      `INSERT INTO audit_events AS t (event_id, at, succeeded, dead)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::integer[])
       ON CONFLICT (event_id) DO UPDATE SET succeeded = t.succeeded + excluded.succeeded,
         dead = t.dead + excluded.dead`,
      [
        outcomes.map((e) => e.eventId),
        outcomes.map((e) => e.at),
        outcomes.map((e) => e.succeeded),
        outcomes.map((e) => e.dead),
      ],
    );
  }
  // A requeue of a run whose event row was never counted dead must not go below zero.
  await query(client, 'UPDATE audit_events SET dead = 0 WHERE dead < 0 AND event_id = ANY($1::text[])', [
    events.filter((e) => e.dead < 0).map((e) => e.eventId),
  ]);
}

export async function purgeSummaries(client: PoolClient, olderThan: number): Promise<void> {
  await query(client, 'DELETE FROM audit_counts WHERE bucket <= $1', [olderThan - COUNT_BUCKET_MS]);
  await query(client, 'DELETE FROM audit_events WHERE at < $1', [olderThan]);
}

const STATUS_FILTERS = {
  matched: 'e.matched > 0',
  unmatched: 'e.matched = 0',
  failed: 'e.dead > 0',
} as const;

export async function eventsPage(db: Db, q: EventListQuery): Promise<Page<EventSummary>> {
  const limit = q.limit ?? DEFAULT_PAGE;
  requireCount('limit', limit);
  // With a rule, walk that rule's decisions and join the event rows of the same processing.
  const byRule = q.ruleId !== undefined;
  const at = byRule ? 'a.at' : 'e.at';
  const id = byRule ? 'a.event_id' : 'e.event_id';
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (byRule) {
    where.push(`a.rule_id = ${p(q.ruleId)} AND a.kind IN ('rule.matched', 'rule.not_matched', 'rule.error')`);
  }
  if (q.type !== undefined) where.push(`e.type = ${p(q.type)}`);
  if (q.workItem !== undefined) where.push(`e.work_item = ${p(q.workItem)}`);
  if (q.status !== undefined) where.push(STATUS_FILTERS[q.status]);
  if (q.since !== undefined) where.push(`${at} >= ${p(q.since)}`);
  if (q.until !== undefined) where.push(`${at} < ${p(q.until)}`);
  if (q.text !== undefined) {
    const text = p(q.text);
    where.push(
      `(e.event_id = ${text} OR e.work_item = ${text} OR split_part(e.work_item, ':', 2) = ${text}
        OR strpos(lower(e.work_item_name), lower(${text})) > 0)`,
    );
  }
  if (q.before !== undefined) {
    const cursor = decodeCursor(q.before);
    if (!cursor)
      throw new AutopilotError('AP_STORE_BAD_INPUT', `not a page cursor: ${JSON.stringify(q.before)}`);
    where.push(`(${at}, ${id}) < (${p(cursor.at)}::bigint, ${p(cursor.tail)}::text)`);
  }
  const from = byRule
    ? 'audit a JOIN audit_events e ON e.event_id = a.event_id AND e.at = a.at'
    : 'audit_events e';
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const { rows } = await query<EventRow>(
    db,
    `SELECT e.* FROM ${from} ${condition} ORDER BY ${at} DESC, ${id} DESC LIMIT ${p(limit + 1)}`,
    params,
  );
  return eventPage(rows, limit);
}

export async function countsQuery(
  db: Db,
  q: { since: number; until?: number; perRule?: boolean; ruleId?: string },
): Promise<AuditCount[]> {
  const params: unknown[] = [Math.floor(q.since / COUNT_BUCKET_MS) * COUNT_BUCKET_MS];
  let sql = 'SELECT bucket, kind, rule_id, n, last_at FROM audit_counts WHERE bucket >= $1';
  if (q.until !== undefined) {
    params.push(q.until);
    sql += ` AND bucket < $${params.length}`;
  }
  if (q.ruleId !== undefined) {
    params.push(q.ruleId);
    sql += ` AND rule_id = $${params.length}`;
  } else sql += q.perRule ? " AND rule_id <> ''" : " AND rule_id = ''";
  const { rows } = await query<{
    bucket: string;
    kind: AuditKind;
    rule_id: string;
    n: string;
    last_at: string;
  }>(db, `${sql} ORDER BY bucket`, params);
  return rows.map((r) => ({
    bucket: Number(r.bucket),
    kind: r.kind,
    ...(r.rule_id === '' ? {} : { ruleId: r.rule_id }),
    n: Number(r.n),
    lastAt: Number(r.last_at),
  }));
}

export async function lastPerRule(db: Db, kind: AuditKind): Promise<Map<string, number>> {
  const { rows } = await query<{ rule_id: string; last: string }>(
    db,
    `SELECT rule_id, max(last_at) AS last FROM audit_counts WHERE kind = $1 AND rule_id <> ''
     GROUP BY rule_id`,
    [kind],
  );
  return new Map(rows.map((r) => [r.rule_id, Number(r.last)]));
}
