/** AuditStore on PostgreSQL: one row per decision, indexed by each id it can be looked up by. */
import { AutopilotError } from '../../errors.ts';
import { countDeltas, decodeCursor, eventDeltas } from '../audit-summary.ts';
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
import { requireCount, requireId } from '../input-checks.ts';
import { decodeJson, encodeJson } from '../sqlite/json-codec.ts';
import { query, transaction, type Db } from './postgres.ts';
import {
  applySummaries,
  countsQuery,
  eventsPage,
  lastPerRule,
  purgeSummaries,
} from './postgres-audit-views.ts';

const DEFAULT_LIMIT = 1000;

interface AuditRow {
  seq: string;
  at: string;
  kind: AuditKind;
  event_id: string | null;
  rule_id: string | null;
  run_id: string | null;
  work_item: string | null;
  action_index: number | null;
  detail: string | null;
}

const ID_FILTERS = [
  ['eventId', 'event_id'],
  ['ruleId', 'rule_id'],
  ['runId', 'run_id'],
  ['workItem', 'work_item'],
] as const;

const COLUMNS = [
  'at',
  'kind',
  'event_id',
  'rule_id',
  'run_id',
  'work_item',
  'action_index',
  'detail',
] as const;
const COLUMN_TYPES = ['bigint', 'text', 'text', 'text', 'text', 'text', 'integer', 'text'] as const;

export class PostgresAuditStore implements AuditStore, AuditViews {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async record(entries: AuditRecord[]): Promise<void> {
    const rows = entries.map(toRow);
    if (rows.length === 0) return;
    // One transaction with the summaries, so all or nothing; unnest keeps the entries' order in `seq`.
    const columns = COLUMNS.map((_, i) => rows.map((row) => row[i]));
    await transaction(this.#db, async (client) => {
      await query(
        client,
        `INSERT INTO audit (${COLUMNS.join(', ')})
         SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`,
        columns,
      );
      await applySummaries(client, countDeltas(entries), eventDeltas(entries));
    });
  }

  async query(q: AuditQuery): Promise<AuditRecord[]> {
    return (await this.#select(q)).map(toRecord);
  }

  async page(q: Omit<AuditQuery, 'order'> & { before?: string }): Promise<Page<AuditRecord>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const rows = await this.#select({ ...q, order: 'newest', limit: limit + 1 }, q.before);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toRecord),
      ...(rows.length > limit && last ? { next: `${last.at}:${last.seq}` } : {}),
    };
  }

  async problems(limit: number): Promise<AuditRecord[]> {
    requireCount('limit', limit);
    const { rows } = await query<AuditRow>(
      this.#db,
      `SELECT seq, ${COLUMNS.join(', ')} FROM audit
       WHERE kind IN (${PROBLEM_KINDS.map((k) => `'${k}'`).join(', ')}) ORDER BY at DESC, seq DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toRecord);
  }

  listEvents(q: EventListQuery): Promise<Page<EventSummary>> {
    return eventsPage(this.#db, q);
  }

  counts(q: CountQuery): Promise<AuditCount[]> {
    return countsQuery(this.#db, q);
  }

  lastPerRule(kind: AuditKind): Promise<Map<string, number>> {
    return lastPerRule(this.#db, kind);
  }

  async #select(q: AuditQuery, before?: string): Promise<AuditRow[]> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    requireCount('limit', limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    for (const [key, column] of ID_FILTERS) {
      if (q[key] !== undefined) where.push(`${column} = ${param(q[key])}`);
    }
    if (q.kind !== undefined)
      where.push(`kind = ANY(${param(Array.isArray(q.kind) ? q.kind : [q.kind])}::text[])`);
    if (q.since !== undefined) where.push(`at >= ${param(q.since)}`);
    if (q.until !== undefined) where.push(`at < ${param(q.until)}`);
    if (before !== undefined) {
      const cursor = decodeCursor(before);
      if (!cursor || !/^\d+$/.test(cursor.tail)) {
        throw new AutopilotError('AP_STORE_BAD_INPUT', `not a page cursor: ${JSON.stringify(before)}`);
      }
      where.push(`(at, seq) < (${param(cursor.at)}::bigint, ${param(cursor.tail)}::bigint)`);
    }
    const direction = q.order === 'newest' ? 'DESC' : 'ASC';
    const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const { rows } = await query<AuditRow>(
      this.#db,
      `SELECT seq, ${COLUMNS.join(', ')} FROM audit ${condition}
       ORDER BY at ${direction}, seq ${direction} LIMIT ${param(limit)}`,
      params,
    );
    return rows;
  }

  async purge(olderThan: number): Promise<number> {
    return transaction(this.#db, async (client) => {
      await purgeSummaries(client, olderThan);
      return (await query(client, 'DELETE FROM audit WHERE at < $1', [olderThan])).rowCount;
    });
  }
}

function toRow(entry: AuditRecord): unknown[] {
  requireId('audit kind', entry?.kind);
  if (!Number.isFinite(entry.at)) requireCount('audit at', entry.at);
  return [
    entry.at,
    entry.kind,
    entry.eventId ?? null,
    entry.ruleId ?? null,
    entry.runId ?? null,
    entry.workItem ?? null,
    entry.actionIndex ?? null,
    entry.detail === undefined ? null : encodeJson(entry.detail, `audit ${entry.kind} detail`),
  ];
}

function toRecord(row: AuditRow): AuditRecord {
  const record: AuditRecord = { at: Number(row.at), kind: row.kind };
  if (row.event_id !== null) record.eventId = row.event_id;
  if (row.rule_id !== null) record.ruleId = row.rule_id;
  if (row.run_id !== null) record.runId = row.run_id;
  if (row.work_item !== null) record.workItem = row.work_item;
  if (row.action_index !== null) record.actionIndex = row.action_index;
  if (row.detail !== null) record.detail = decodeJson(row.detail) as Record<string, unknown>;
  return record;
}
