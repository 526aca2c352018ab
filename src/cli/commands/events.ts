/**
 * `autopilot events [--since 24h] [--type t] [--source s] [--limit n] [--json] [--data dir]`: the
 * events the engine stored most recently, newest first, with the ids `autopilot trace` takes.
 */
import { AutopilotError } from '../../errors.ts';
import type { StoredEvent, Stores } from '../../store/ports.ts';
import { sinceOf } from '../backtest-args.ts';
import type { CliCommand } from '../io.ts';
import { parseCliArgs } from '../parse-cli-args.ts';
import { formatTable, isoTime, withStores } from './data-stores.ts';

const USAGE =
  'usage: autopilot events [--since 24h] [--type <type>] [--source <source>] [--limit <n>] [--json] [--data <dir>]';

/** One stored event as the command lists it. */
export interface ListedEvent {
  id: string;
  receivedAt: number;
  source: string;
  type: string;
  /** `projectKey:workItemId` when the event names a work item. */
  workItem?: string;
  status: 'pending' | 'processed' | 'dead';
  /** Rules that matched it (known once it is processed). */
  matchedRules: string[];
}

export const command: CliCommand = async (args, io) => {
  const { values } = readArgs(args);
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new AutopilotError(
      'AP_CLI_USAGE',
      `--limit must be a positive integer, got '${values.limit}'\n${USAGE}`,
    );
  }
  const until = Date.now() + 1;
  const since = until - sinceOf(values.since, USAGE);
  const events = await withStores(values.data, io, (stores) =>
    recentEvents(stores, { since, until, limit, type: values.type, source: values.source }),
  );
  if (values.json) io.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
  else io.stdout.write(events.length === 0 ? 'no events\n' : formatEvents(events));
  return 0;
};

interface RecentQuery {
  since: number;
  until: number;
  limit: number;
  type?: string | undefined;
  source?: string | undefined;
}

/** The newest `limit` events received in [since, until) that pass the filters, newest first. */
export async function recentEvents(stores: Stores, query: RecentQuery): Promise<ListedEvent[]> {
  const { listReceived } = stores.events;
  if (!listReceived) throw new AutopilotError('AP_NOT_FOUND', 'this store cannot list its events');
  // Pages come oldest first; keep the newest `limit` that pass, so memory stays bounded by it.
  const kept: StoredEvent[] = [];
  let after: string | undefined;
  do {
    const page = await listReceived.call(stores.events, {
      since: query.since,
      until: query.until,
      ...(after ? { after } : {}),
    });
    for (const stored of page.events) {
      if (query.type !== undefined && stored.event.type !== query.type) continue;
      if (query.source !== undefined && stored.event.source !== query.source) continue;
      kept.push(stored);
      if (kept.length > query.limit) kept.shift();
    }
    after = page.next;
  } while (after !== undefined);
  const newestFirst = kept.reverse();
  return Promise.all(newestFirst.map((stored) => listed(stores, stored)));
}

async function listed(stores: Stores, stored: StoredEvent): Promise<ListedEvent> {
  const { event } = stored;
  const matched = await stores.audit.query({ eventId: event.id, kind: 'rule.matched', limit: 1000 });
  return {
    id: event.id,
    receivedAt: stored.receivedAt,
    source: event.source,
    type: event.type,
    ...(event.workItem ? { workItem: `${event.projectKey ?? ''}:${event.workItem.id}` } : {}),
    status: stored.deadAt !== undefined ? 'dead' : stored.processedAt !== undefined ? 'processed' : 'pending',
    matchedRules: [...new Set(matched.flatMap((r) => (r.ruleId === undefined ? [] : [r.ruleId])))],
  };
}

function formatEvents(events: ListedEvent[]): string {
  return formatTable(
    ['EVENT', 'RECEIVED AT', 'SOURCE', 'TYPE', 'WORK ITEM', 'STATUS', 'MATCHED'],
    events.map((e) => [
      e.id,
      isoTime(e.receivedAt),
      e.source,
      e.type,
      e.workItem ?? '-',
      e.status,
      e.matchedRules.join(',') || '-',
    ]),
  );
}

function readArgs(args: string[]) {
  return parseCliArgs(
    {
      args,
      options: {
        since: { type: 'string', default: '24h' },
        type: { type: 'string' },
        source: { type: 'string' },
        limit: { type: 'string' },
        data: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    USAGE,
  );
}
