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
  type CountQuery,
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

/** Builds a parameter list as conditions are added. */
function sqlParams() {
  const params: unknown[] = [];
  return {
    params,
    p(value: unknown): string {
      params.push(value);
      return `$${params.length}`;
    },
  };
}

/** Conditions on the event rows (alias `e`) and on their time and id (`at`, `id` columns). */
function eventConditions(q: EventListQuery, add: (value: unknown) => string, at: string, id: string) {
  const where: string[] = [];
  if (q.type !== undefined) where.push(`e.type = ${add(q.type)}`);
  if (q.workItem !== undefined) where.push(`e.work_item = ${add(q.workItem)}`);
  if (q.status !== undefined) where.push(STATUS_FILTERS[q.status]);
  if (q.text !== undefined) {
    const text = add(q.text);
    where.push(
      `(e.event_id = ${text} OR e.work_item = ${text} OR split_part(e.work_item, ':', 2) = ${text}
        OR strpos(lower(e.work_item_name), lower(${text})) > 0)`,
    );
  }
  where.push(...timeConditions(q, add, at, id));
  return where;
}

function timeConditions(q: EventListQuery, add: (value: unknown) => string, at: string, id: string) {
  const where: string[] = [];
  if (q.since !== undefined) where.push(`${at} >= ${add(q.since)}`);
  if (q.until !== undefined) where.push(`${at} < ${add(q.until)}`);
  if (q.before !== undefined) {
    const cursor = decodeCursor(q.before);
    if (!cursor)
      throw new AutopilotError('AP_STORE_BAD_INPUT', `not a page cursor: ${JSON.stringify(q.before)}`);
    where.push(`(${at}, ${id}) < (${add(cursor.at)}::bigint, ${add(cursor.tail)}::text)`);
  }
  return where;
}

const where = (conditions: string[]) => (conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '');

export async function eventsPage(db: Db, q: EventListQuery): Promise<Page<EventSummary>> {
  const limit = q.limit ?? DEFAULT_PAGE;
  requireCount('limit', limit);
  if (q.ruleId !== undefined) return eventsOfRule(db, q, limit);
  const { params, p } = sqlParams();
  const { rows } = await query<EventRow>(
    db,
    `SELECT e.* FROM audit_events e ${where(eventConditions(q, p, 'e.at', 'e.event_id'))}
     ORDER BY e.at DESC, e.event_id DESC LIMIT ${p(limit + 1)}`,
    params,
  );
  return eventPage(rows, limit);
}

const RULE_CHUNK = 500;

/**
 * A rule's events: its decisions are walked newest first in chunks (the partial index gives
 * them in order), each chunk joined with the event rows of the same processing and filtered.
 * In one join, PostgreSQL's planner reads all of a busy rule's decisions and sorts them
 * (bench/dashboard.bench.ts: 255 ms p50 at 1M records); chunks stop as soon as a page is full.
 */
async function eventsOfRule(db: Db, q: EventListQuery, limit: number): Promise<Page<EventSummary>> {
  const rows: EventRow[] = [];
  let before = q.before;
  for (;;) {
    const decisions = sqlParams();
    const { rows: chunk } = await query<{ event_id: string; at: string }>(
      db,
      `SELECT event_id, at FROM audit a
       WHERE a.rule_id = ${decisions.p(q.ruleId)} AND a.kind IN ('rule.matched', 'rule.not_matched', 'rule.error')
       ${timeConditions({ ...q, before }, decisions.p, 'a.at', 'a.event_id')
         .map((c) => `AND ${c}`)
         .join(' ')}
       ORDER BY a.at DESC, a.event_id DESC LIMIT ${RULE_CHUNK}`,
      decisions.params,
    );
    if (chunk.length === 0) break;
    const events = sqlParams();
    const ids = events.p(chunk.map((d) => d.event_id));
    const ats = events.p(chunk.map((d) => d.at));
    const conditions = eventConditions(
      { ...q, since: undefined, until: undefined, before: undefined },
      events.p,
      'e.at',
      'e.event_id',
    );
    const { rows: found } = await query<EventRow>(
      db,
      `SELECT e.* FROM unnest(${ids}::text[], ${ats}::bigint[]) AS d (event_id, at)
       JOIN audit_events e ON e.event_id = d.event_id AND e.at = d.at
       ${where(conditions)} ORDER BY e.at DESC, e.event_id DESC`,
      events.params,
    );
    rows.push(...found);
    if (rows.length > limit || chunk.length < RULE_CHUNK) break;
    const last = chunk.at(-1) as { event_id: string; at: string };
    before = `${last.at}:${last.event_id}`;
  }
  return eventPage(rows, limit);
}

export async function countsQuery(db: Db, q: CountQuery): Promise<AuditCount[]> {
  const params: unknown[] = [Math.floor(q.since / COUNT_BUCKET_MS) * COUNT_BUCKET_MS];
  const columns = q.summed
    ? 'min(bucket) AS bucket, kind, rule_id, sum(n) AS n, max(last_at) AS last_at'
    : 'bucket, kind, rule_id, n, last_at';
  let sql = `SELECT ${columns} FROM audit_counts WHERE bucket >= $1`;
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
  }>(db, `${sql}${q.summed ? ' GROUP BY kind, rule_id' : ''} ORDER BY bucket`, params);
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
