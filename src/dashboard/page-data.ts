/**
 * What each dashboard page shows, queried on the server and paged: the overview, rules, one
 * rule, events, one event's story (src/audit/trace-event.ts), runs and their lanes.
 */
import { traceEvent, type EventStory } from '../audit/trace-event.ts';
import { AutopilotError } from '../errors.ts';
import { isManualTrigger, type Rule, type Trigger } from '../rules/rule.ts';
import {
  COUNT_BUCKET_MS,
  type AuditCount,
  type AuditKind,
  type EventListQuery,
  type RunRecord,
  type RunState,
  type Stores,
} from '../store/ports.ts';
import { withLocations } from '../server/admin-routes.ts';
import type { RuleRegistry } from '../server/rule-registry.ts';
import type { LimiterUse } from './limiter-usage.ts';

export interface PageDeps {
  stores: Pick<Stores, 'events' | 'runs' | 'audit' | 'views'>;
  rules: RuleRegistry<unknown>;
  now: () => number;
  limiterUse?: () => LimiterUse[];
}

const DAY = 24 * COUNT_BUCKET_MS;
const SERIES: Record<string, AuditKind> = {
  events: 'event.processed',
  runs: 'run.planned',
  succeeded: 'run.succeeded',
  dead: 'run.dead_lettered',
};
const FAILURE_KINDS: readonly AuditKind[] = ['rule.error', 'run.dead_lettered'];

export async function overview(deps: PageDeps) {
  const now = deps.now();
  const first = Math.floor(now / COUNT_BUCKET_MS) * COUNT_BUCKET_MS - DAY + COUNT_BUCKET_MS;
  const [counts, queue, pending, problems] = await Promise.all([
    deps.stores.views.counts({ since: first }),
    deps.stores.runs.stats(now),
    deps.stores.events.pendingCount(),
    deps.stores.views.problems(10),
  ]);
  const hours = Array.from({ length: 24 }, (_, i) => first + i * COUNT_BUCKET_MS);
  const series = Object.fromEntries(
    Object.entries(SERIES).map(([name, kind]) => [name, hours.map((h) => countAt(counts, h, kind))]),
  );
  return {
    now,
    hours,
    series,
    queue,
    pendingEvents: pending,
    rules: { loaded: deps.rules.current.rules.length, loadedAt: deps.rules.current.loadedAt },
    reloads: deps.rules.history.map(withLocations),
    limiter: deps.limiterUse?.() ?? [],
    problems,
  };
}

function countAt(counts: AuditCount[], bucket: number, kind: AuditKind): number {
  return counts.find((c) => c.bucket === bucket && c.kind === kind)?.n ?? 0;
}

export async function rulesPage(deps: PageDeps, q: { text?: string; offset: number; limit: number }) {
  const now = deps.now();
  const text = q.text?.toLowerCase();
  const all = deps.rules.current.rules.filter(
    (r) => !text || r.id.toLowerCase().includes(text) || r.description?.toLowerCase().includes(text),
  );
  const [last, counts] = await Promise.all([
    deps.stores.views.lastPerRule('rule.matched'),
    deps.stores.views.counts({ since: now - DAY, perRule: true, summed: true }),
  ]);
  const sum = (ruleId: string, kinds: readonly AuditKind[]) =>
    counts.filter((c) => c.ruleId === ruleId && kinds.includes(c.kind)).reduce((n, c) => n + c.n, 0);
  return {
    total: all.length,
    offset: q.offset,
    items: all.slice(q.offset, q.offset + q.limit).map((rule) => ({
      ...ruleHead(rule),
      lastFiredAt: last.get(rule.id),
      matches24h: sum(rule.id, ['rule.matched']),
      failures24h: sum(rule.id, FAILURE_KINDS),
    })),
  };
}

function ruleHead(rule: Rule) {
  return {
    id: rule.id,
    description: rule.description,
    mode: rule.mode,
    enabled: rule.enabled,
    trigger: describeTrigger(rule.on),
    version: rule.version,
    file: rule.source.file,
  };
}

export function describeTrigger(on: Trigger): string {
  const manual = isManualTrigger(on);
  if ('event' in on) return `event: ${[on.event].flat().join(', ')}${manual ? '; manual' : ''}`;
  if (manual) return 'manual';
  if ('poll' in on) return `poll: every ${on.poll.every}`;
  if ('schedule' in on) return `schedule: ${on.schedule.cron} ${on.schedule.timezone ?? 'UTC'}`;
  if ('card_action' in on) return `card action: ${on.card_action}`;
  return `command: ${on.command}`;
}

export async function rulePage(deps: PageDeps, id: string, before?: string) {
  const rule = deps.rules.current.byId.get(id);
  if (!rule) throw new AutopilotError('AP_NOT_FOUND', `no rule '${id}' in the running set`);
  const now = deps.now();
  const [decisions, counts, shadow, last] = await Promise.all([
    deps.stores.views.page({
      ruleId: id,
      kind: ['rule.matched', 'rule.not_matched', 'rule.error', 'breaker_open', 'loop_stopped'],
      limit: 25,
      before,
    }),
    deps.stores.views.counts({ since: now - DAY, ruleId: id, summed: true }),
    rule.mode === 'shadow'
      ? deps.stores.views.page({ ruleId: id, kind: 'run.planned', limit: 10 })
      : Promise.resolve(undefined),
    deps.stores.views.lastPerRule('rule.matched'),
  ]);
  const sum = (kinds: readonly AuditKind[]) =>
    counts.filter((c) => kinds.includes(c.kind)).reduce((n, c) => n + c.n, 0);
  return {
    ...ruleHead(rule),
    yaml: rule.source.text ?? '',
    lastFiredAt: last.get(id),
    matches24h: sum(['rule.matched']),
    notMatched24h: sum(['rule.not_matched']),
    failures24h: sum(FAILURE_KINDS),
    decisions,
    wouldBe: shadow?.items ?? [],
  };
}

export function eventsPage(deps: PageDeps, q: EventListQuery) {
  return deps.stores.views.listEvents(q);
}

export async function eventStory(deps: PageDeps, id: string): Promise<EventStory> {
  const story = await traceEvent(deps.stores, id);
  if (!story) throw new AutopilotError('AP_NOT_FOUND', `nothing is known about event '${id}'`);
  return story;
}

const LIST_CAP = 1000;
/** Lanes are drawn from the oldest active runs: the ones waiting longest are the ones to see. */
const LANE_SCAN = 200;
const PARKED_SHOWN = 100;

/** One state's runs, a page at a time; the queue lists in its own order, capped at 1,000. */
export async function runsPage(
  deps: PageDeps,
  q: { state?: RunState; ruleId?: string; lane?: string; offset: number; limit: number },
) {
  const now = deps.now();
  const wanted = Math.min(LIST_CAP, q.offset + q.limit + 1);
  const [stats, records, active, parked] = await Promise.all([
    deps.stores.runs.stats(now),
    deps.stores.runs.list({ state: q.state, ruleId: q.ruleId, lane: q.lane, limit: wanted }),
    deps.stores.runs.list({ state: ['queued', 'running'], limit: LANE_SCAN }),
    deps.stores.runs.list({ state: 'parked', limit: PARKED_SHOWN }),
  ]);
  return {
    now,
    stats,
    offset: q.offset,
    items: records.slice(q.offset, q.offset + q.limit).map(runView),
    more: records.length > q.offset + q.limit,
    lanes: lanesOf(active),
    // Parked runs wait outside their lanes (a wait, an approval) until their due time.
    parked: parked.map(runView).sort((a, b) => a.runAt - b.runAt),
  };
}

/** Active runs grouped by lane, the lane's head first, lanes with the most waiting first. */
function lanesOf(active: RunRecord[]) {
  const lanes = new Map<string, RunRecord[]>();
  for (const record of active) lanes.set(record.run.lane, [...(lanes.get(record.run.lane) ?? []), record]);
  return [...lanes.entries()]
    .map(([lane, runs]) => ({
      lane,
      runs: runs.map((r) => ({ id: r.run.id, state: r.state, ruleId: r.run.ruleId, runAt: r.runAt })),
    }))
    .sort((a, b) => b.runs.length - a.runs.length)
    .slice(0, 50);
}

export function runView(r: RunRecord) {
  return {
    id: r.run.id,
    state: r.state,
    ruleId: r.run.ruleId,
    ruleVersion: r.run.ruleVersion,
    eventId: r.run.eventId,
    lane: r.run.lane,
    mode: r.run.mode,
    actions: r.run.actions.map((a) => a.type),
    nextAction: r.nextAction,
    attempt: r.attempt,
    runAt: r.runAt,
    updatedAt: r.updatedAt,
    lastError: r.lastError,
  };
}
