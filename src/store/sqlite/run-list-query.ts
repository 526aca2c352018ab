/** The SQL behind RunQueue.list: every given filter must hold; queue order; a limit. */
import type { RunFilter } from '../ports.ts';
import type { Params } from './database.ts';
import { requireCount } from '../input-checks.ts';
import { RUN_COLUMNS } from './run-rows.ts';

const DEFAULT_LIMIT = 1000;

const EQUALITY_FILTERS = [
  ['ruleId', 'rule_id'],
  ['eventId', 'event_id'],
  ['lane', 'lane'],
] as const;

export function runListQuery(filter: RunFilter): { sql: string; params: Params } {
  const where: string[] = [];
  const params: Params = { limit: filter.limit ?? DEFAULT_LIMIT };
  requireCount('limit', params.limit);
  if (filter.state !== undefined) {
    const states = Array.isArray(filter.state) ? filter.state : [filter.state];
    // An empty list matches nothing (`IN (NULL)`), as an empty set of states should.
    where.push(`state IN (${states.map((_, i) => `:state${i}`).join(', ') || 'NULL'})`);
    states.forEach((state, i) => (params[`state${i}`] = state));
  }
  for (const [key, column] of EQUALITY_FILTERS) {
    const value = filter[key];
    if (value === undefined) continue;
    where.push(`${column} = :${key}`);
    params[key] = value;
  }
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return { sql: `SELECT ${RUN_COLUMNS} FROM runs ${condition} ORDER BY position LIMIT :limit`, params };
}
