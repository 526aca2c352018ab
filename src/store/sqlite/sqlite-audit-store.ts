/** AuditStore on SQLite: one row per decision, indexed by each id it can be looked up by. */
import type {
  AuditCount,
  CountQuery,
  AuditKind,
  AuditQuery,
  AuditRecord,
  AuditStore,
  AuditViews,
  EventListQuery,
  EventSummary,
  Page,
} from '../ports.ts';
import { PROBLEM_KINDS } from '../ports.ts';
import { countDeltas, decodeCursor, eventDeltas } from '../audit-summary.ts';
import { AutopilotError } from '../../errors.ts';
import type { Params, SqliteDb } from './database.ts';
import {
  applySummaries,
  countsQuery,
  eventsPage,
  lastPerRule,
  purgeSummaries,
} from './sqlite-audit-views.ts';
import { decodeJson, encodeJson } from './json-codec.ts';
import { requireCount, requireId } from '../input-checks.ts';

const DEFAULT_LIMIT = 1000;

interface AuditRow {
  [column: string]: unknown;
  seq: number;
  at: number;
  kind: AuditKind;
  event_id: string | null;
  rule_id: string | null;
  run_id: string | null;
  work_item: string | null;
  action_index: number | null;
  detail_json: string | null;
}

const ID_FILTERS = [
  ['eventId', 'event_id'],
  ['ruleId', 'rule_id'],
  ['runId', 'run_id'],
  ['workItem', 'work_item'],
] as const;

export class SqliteAuditStore implements AuditStore, AuditViews {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  async record(entries: AuditRecord[]): Promise<void> {
    const rows = entries.map(toParams);
    if (rows.length === 0) return;
    this.#db.write(() => {
      for (const params of rows) {
        this.#db.run(
          `INSERT INTO audit (at, kind, event_id, rule_id, run_id, work_item, action_index, detail_json)
           VALUES (:at, :kind, :eventId, :ruleId, :runId, :workItem, :actionIndex, :detail)`,
          params,
        );
      }
      applySummaries(this.#db, countDeltas(entries), eventDeltas(entries));
    });
  }

  async query(q: AuditQuery): Promise<AuditRecord[]> {
    return this.#select(q).map(toRecord);
  }

  async page(q: Omit<AuditQuery, 'order'> & { before?: string }): Promise<Page<AuditRecord>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const rows = this.#select({ ...q, order: 'newest', limit: limit + 1 }, q.before);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toRecord),
      ...(rows.length > limit && last ? { next: `${last.at}:${last.seq}` } : {}),
    };
  }

  async problems(limit: number): Promise<AuditRecord[]> {
    requireCount('limit', limit);
    const rows = this.#db.read(() =>
      this.#db.all<AuditRow>(
        `SELECT seq, at, kind, event_id, rule_id, run_id, work_item, action_index, detail_json FROM audit
         WHERE kind IN (${PROBLEM_KINDS.map((k) => `'${k}'`).join(', ')}) ORDER BY at DESC, seq DESC LIMIT :limit`,
        { limit },
      ),
    );
    return rows.map(toRecord);
  }

  async listEvents(q: EventListQuery): Promise<Page<EventSummary>> {
    return eventsPage(this.#db, q);
  }

  async counts(q: CountQuery): Promise<AuditCount[]> {
    return countsQuery(this.#db, q);
  }

  async lastPerRule(kind: AuditKind): Promise<Map<string, number>> {
    return lastPerRule(this.#db, kind);
  }

  #select(q: AuditQuery, before?: string): AuditRow[] {
    const where: string[] = [];
    const params: Params = { limit: q.limit ?? DEFAULT_LIMIT };
    requireCount('limit', params.limit);
    for (const [key, column] of ID_FILTERS) {
      if (q[key] === undefined) continue;
      where.push(`${column} = :${key}`);
      params[key] = q[key];
    }
    if (q.kind !== undefined) {
      const kinds = Array.isArray(q.kind) ? q.kind : [q.kind];
      where.push(`kind IN (${kinds.map((_, i) => `:kind${i}`).join(', ') || 'NULL'})`);
      kinds.forEach((kind, i) => (params[`kind${i}`] = kind));
    }
    if (q.since !== undefined) {
      where.push('at >= :since');
      params.since = q.since;
    }
    if (q.until !== undefined) {
      where.push('at < :until');
      params.until = q.until;
    }
    if (before !== undefined) {
      const cursor = recordCursor(before);
      where.push('(at < :beforeAt OR (at = :beforeAt AND seq < :beforeSeq))');
      Object.assign(params, { beforeAt: cursor.at, beforeSeq: cursor.seq });
    }
    const direction = q.order === 'newest' ? 'DESC' : 'ASC';
    const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return this.#db.read(() =>
      this.#db.all<AuditRow>(
        `SELECT seq, at, kind, event_id, rule_id, run_id, work_item, action_index, detail_json FROM audit
         ${condition} ORDER BY at ${direction}, seq ${direction} LIMIT :limit`,
        params,
      ),
    );
  }

  async purge(olderThan: number): Promise<number> {
    return this.#db.write(() => {
      purgeSummaries(this.#db, olderThan);
      return this.#db.run('DELETE FROM audit WHERE at < :olderThan', { olderThan }).changes;
    });
  }
}

function recordCursor(before: string): { at: number; seq: number } {
  const cursor = decodeCursor(before);
  const seq = Number(cursor?.tail);
  if (!cursor || !Number.isSafeInteger(seq)) {
    throw new AutopilotError('AP_STORE_BAD_INPUT', `not a page cursor: ${JSON.stringify(before)}`);
  }
  return { at: cursor.at, seq };
}

function toParams(entry: AuditRecord): Params {
  requireId('audit kind', entry?.kind);
  if (!Number.isFinite(entry.at)) requireCount('audit at', entry.at);
  return {
    at: entry.at,
    kind: entry.kind,
    eventId: entry.eventId ?? null,
    ruleId: entry.ruleId ?? null,
    runId: entry.runId ?? null,
    workItem: entry.workItem ?? null,
    actionIndex: entry.actionIndex ?? null,
    detail: entry.detail === undefined ? null : encodeJson(entry.detail, `audit ${entry.kind} detail`),
  };
}

function toRecord(row: AuditRow): AuditRecord {
  const record: AuditRecord = { at: row.at, kind: row.kind };
  if (row.event_id !== null) record.eventId = row.event_id;
  if (row.rule_id !== null) record.ruleId = row.rule_id;
  if (row.run_id !== null) record.runId = row.run_id;
  if (row.work_item !== null) record.workItem = row.work_item;
  if (row.action_index !== null) record.actionIndex = row.action_index;
  if (row.detail_json !== null) record.detail = decodeJson(row.detail_json) as Record<string, unknown>;
  return record;
}
