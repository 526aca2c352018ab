/** The dashboard's read models on SQLite: hourly counts and one summary row per event. */
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
import type { Params, SqliteDb } from './database.ts';

const DEFAULT_PAGE = 50;

/** Inside the caller's write transaction. */
export function applySummaries(db: SqliteDb, counts: CountDelta[], events: EventDelta[]): void {
  for (const c of counts) {
    db.run(
      `INSERT INTO audit_counts (bucket, kind, rule_id, n, last_at) VALUES (:bucket, :kind, :ruleId, :n, :lastAt)
       ON CONFLICT (bucket, kind, rule_id) DO UPDATE SET n = n + excluded.n, last_at = max(last_at, excluded.last_at)`,
      { bucket: c.bucket, kind: c.kind, ruleId: c.ruleId, n: c.n, lastAt: c.lastAt },
    );
  }
  for (const e of events) {
    const counters = { id: e.eventId, at: e.at, succeeded: e.succeeded, dead: e.dead };
    if (!e.describe) {
      db.run(
        `INSERT INTO audit_events (event_id, at, succeeded, dead) VALUES (:id, :at, :succeeded, max(0, :dead))
         ON CONFLICT (event_id) DO UPDATE SET succeeded = succeeded + :succeeded, dead = max(0, dead + :dead)`,
        counters,
      );
      continue;
    }
    const d = e.describe;
    db.run(
      `INSERT INTO audit_events (event_id, at, type, source, work_item, work_item_name, candidates,
         matched_rules, matched, succeeded, dead)
       VALUES (:id, :at, :type, :source, :workItem, :name, :candidates, :rules, :matched, :succeeded, max(0, :dead))
       ON CONFLICT (event_id) DO UPDATE SET at = excluded.at, type = excluded.type, source = excluded.source,
         work_item = excluded.work_item, work_item_name = coalesce(excluded.work_item_name, work_item_name),
         candidates = excluded.candidates, matched_rules = excluded.matched_rules, matched = excluded.matched,
         succeeded = succeeded + :succeeded, dead = max(0, dead + :dead)`,
      {
        ...counters,
        type: d.type ?? null,
        source: d.source ?? null,
        workItem: d.workItem ?? null,
        name: d.workItemName ?? null,
        candidates: d.candidates,
        rules: JSON.stringify(d.matchedRules),
        matched: d.matchedRules.length,
      },
    );
  }
}

export function purgeSummaries(db: SqliteDb, olderThan: number): void {
  db.run('DELETE FROM audit_counts WHERE bucket <= :last', { last: olderThan - COUNT_BUCKET_MS });
  db.run('DELETE FROM audit_events WHERE at < :olderThan', { olderThan });
}

const STATUS_FILTERS = {
  matched: 'e.matched > 0',
  unmatched: 'e.matched = 0',
  failed: 'e.dead > 0',
} as const;

export function eventsPage(db: SqliteDb, q: EventListQuery): Page<EventSummary> {
  const limit = q.limit ?? DEFAULT_PAGE;
  requireCount('limit', limit);
  // With a rule, walk that rule's decisions (an index per rule) and join the event rows of the
  // same processing (`e.at = a.at`: an event processed twice after a crash is listed once).
  const byRule = q.ruleId !== undefined;
  const at = byRule ? 'a.at' : 'e.at';
  const id = byRule ? 'a.event_id' : 'e.event_id';
  const where: string[] = [];
  const params: Params = { limit: limit + 1 };
  const add = (sql: string, values: Params) => {
    where.push(sql);
    Object.assign(params, values);
  };
  if (byRule) {
    add(`a.rule_id = :ruleId AND a.kind IN ('rule.matched', 'rule.not_matched', 'rule.error')`, {
      ruleId: q.ruleId as string,
    });
  }
  if (q.type !== undefined) add('e.type = :type', { type: q.type });
  if (q.workItem !== undefined) add('e.work_item = :workItem', { workItem: q.workItem });
  if (q.status !== undefined) add(STATUS_FILTERS[q.status], {});
  if (q.since !== undefined) add(`${at} >= :since`, { since: q.since });
  if (q.until !== undefined) add(`${at} < :until`, { until: q.until });
  if (q.text !== undefined) {
    add(
      `(e.event_id = :text OR e.work_item = :text OR substr(e.work_item, instr(e.work_item, ':') + 1) = :text
        OR instr(lower(e.work_item_name), lower(:text)) > 0)`,
      { text: q.text },
    );
  }
  if (q.before !== undefined) {
    const cursor = decodeCursor(q.before);
    if (!cursor)
      throw new AutopilotError('AP_STORE_BAD_INPUT', `not a page cursor: ${JSON.stringify(q.before)}`);
    add(`(${at} < :beforeAt OR (${at} = :beforeAt AND ${id} < :beforeId))`, {
      beforeAt: cursor.at,
      beforeId: cursor.tail,
    });
  }
  const from = byRule
    ? 'audit a JOIN audit_events e ON e.event_id = a.event_id AND e.at = a.at'
    : 'audit_events e';
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const rows = db.read(() =>
    db.all<EventRow & Record<string, unknown>>(
      `SELECT e.* FROM ${from} ${condition} ORDER BY ${at} DESC, ${id} DESC LIMIT :limit`,
      params,
    ),
  );
  return eventPage(rows, limit);
}

export function countsQuery(db: SqliteDb, q: CountQuery): AuditCount[] {
  const params: Params = { since: Math.floor(q.since / COUNT_BUCKET_MS) * COUNT_BUCKET_MS };
  const columns = q.summed
    ? 'min(bucket) AS bucket, kind, rule_id, sum(n) AS n, max(last_at) AS last_at'
    : 'bucket, kind, rule_id, n, last_at';
  let sql = `SELECT ${columns} FROM audit_counts WHERE bucket >= :since`;
  if (q.until !== undefined) {
    sql += ' AND bucket < :until';
    params.until = q.until;
  }
  if (q.ruleId !== undefined) {
    sql += ' AND rule_id = :ruleId';
    params.ruleId = q.ruleId;
  } else sql += q.perRule ? " AND rule_id <> ''" : " AND rule_id = ''";
  const rows = db.read(() =>
    db.all<{ bucket: number; kind: AuditKind; rule_id: string; n: number; last_at: number }>(
      `${sql}${q.summed ? ' GROUP BY kind, rule_id' : ''} ORDER BY bucket`,
      params,
    ),
  );
  return rows.map((r) => ({
    bucket: Number(r.bucket),
    kind: r.kind,
    ...(r.rule_id === '' ? {} : { ruleId: r.rule_id }),
    n: Number(r.n),
    lastAt: Number(r.last_at),
  }));
}

export function lastPerRule(db: SqliteDb, kind: AuditKind): Map<string, number> {
  const rows = db.read(() =>
    db.all<{ rule_id: string; last: number }>(
      `SELECT rule_id, max(last_at) AS last FROM audit_counts WHERE kind = :kind AND rule_id <> ''
       GROUP BY rule_id`,
      { kind },
    ),
  );
  return new Map(rows.map((r) => [r.rule_id, Number(r.last)]));
}
