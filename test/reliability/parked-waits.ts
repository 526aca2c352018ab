/**
 * Parked waits: runs park on `wait_until` for 1–60 s (each event carries its own due time) and
 * then comment once, while the engine is killed with SIGKILL and restarted in place. Each run
 * must resume exactly once — one applied comment write per event in the simulator's request log —
 * within 1 s of its due time, or within 1 s of the recovery when the engine was down in the second
 * after its due time. Nothing lost, nothing twice, every run `succeeded` in the end.
 */
import type { RequestRecord } from '../../src/simulator/http/request-log.ts';
import { createdWebhook } from './support/feishu-webhook.ts';
import { between, expectThat, newRow, runsOf, waitUntil, type Row } from './support/figures.ts';
import { startLoad } from './support/load.ts';
import { createWorld, FIRST_EXTRA_ISSUE, type World } from './support/world.ts';

export interface ParkedWaitOptions {
  runs: number;
  /** Events (so runs that park) per second: their comments after the wait stay under 15/s. */
  rate: number;
  minWaitMs: number;
  maxWaitMs: number;
  kills: number;
}

const RULE_ID = 'wake-mark';
const MARKER = 'woke';
const RULE = `id: ${RULE_ID}
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - wait_until: '{{event.payload.due_at}}'
  - comment: { text: "${MARKER} {{event.id}}" }
`;
const ISSUES = 100;
/** How late a resumption may be after its due time (or after the recovery that ended an outage). */
const ON_TIME_MS = 1000;

interface Outage {
  killedAt: number;
  healthyAt: number;
}

export async function runParkedWaits(options: ParkedWaitOptions): Promise<Row> {
  const row = newRow(
    'parked waits',
    `${options.runs} runs parked on waits of ${options.minWaitMs / 1000}–${options.maxWaitMs / 1000} s, ${options.rate} started/s`,
    `${options.kills} × kill -9 while they wait + restart`,
  );
  const world = await createWorld({ rules: { [`${RULE_ID}.yaml`]: RULE }, extraIssues: ISSUES });
  try {
    const engine = await world.startEngine();
    const dueAt = new Map<string, number>();
    const load = startLoad({
      baseUrl: engine.url,
      rate: options.rate,
      count: options.runs,
      body: (i) => {
        const uuid = `wait-${i}`;
        const body = createdWebhook(uuid, { id: FIRST_EXTRA_ISSUE + (i % ISSUES), type: 'issue' });
        const due = Date.now() + between(options.minWaitMs, options.maxWaitMs);
        dueAt.set(uuid, due);
        return { ...body, payload: { ...body.payload, due_at: due } };
      },
    });
    const mostParked = sampleParked(world);
    const outages = await killWhileWaiting(world, options);
    await load.finish();
    mostParked.stop();
    const { stats } = load;
    expectThat(row, stats.badStatuses.size === 0, `unexpected statuses ${[...stats.badStatuses]}`);
    expectThat(
      row,
      stats.accepted.size === stats.sent,
      `${stats.sent - stats.accepted.size} events never accepted`,
    );
    row.notes.push(
      `${stats.sent} events, ${stats.deliveries} deliveries (${stats.failedDeliveries} refused or cut by a kill, sent again)`,
      `most runs parked at once (sampled every 2 s): ${mostParked.most()}`,
      `restart to healthy: median ${median(outages.map((o) => o.healthyAt - o.killedAt))} ms`,
    );
    await checkOutcome(world, row, dueAt, stats.accepted, outages);
  } finally {
    await world.close();
  }
  return row;
}

/** Kills spread over the time runs are parked: from the first park to the last due time. */
async function killWhileWaiting(world: World, options: ParkedWaitOptions): Promise<Outage[]> {
  const window = (options.runs / options.rate) * 1000 + options.maxWaitMs;
  const gap = window / (options.kills + 1);
  const outages: Outage[] = [];
  for (let kill = 0; kill < options.kills; kill += 1) {
    await sleep(between(Math.round(gap * 0.5), Math.round(gap * 1.5)));
    const killedAt = Date.now();
    await world.engine?.kill9();
    await world.startEngine();
    outages.push({ killedAt, healthyAt: Date.now() });
  }
  return outages;
}

function sampleParked(world: World) {
  let most = 0;
  let stopped = false;
  const sample = async () => {
    while (!stopped) {
      try {
        most = Math.max(most, (await runsOf(world, RULE_ID, 'parked')).length);
      } catch {
        // The engine is down (killed): the next sample reads the restarted one.
      }
      await sleep(2000);
    }
  };
  const done = sample();
  return {
    most: () => most,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/**
 * When a run should have resumed at the latest: 1 s after its due time, unless an outage began
 * before that — then 1 s after the recovery (repeatedly, for outages back to back).
 */
function resumeBy(due: number, outages: Outage[]): { from: number; afterOutage: boolean } {
  let from = due;
  let afterOutage = false;
  for (const outage of outages) {
    if (outage.killedAt <= from + ON_TIME_MS && outage.healthyAt > from) {
      from = outage.healthyAt;
      afterOutage = true;
    }
  }
  return { from, afterOutage };
}

/**
 * Where a resumed run's write time starts: its resumption, or the recovery from the last kill
 * between resuming and writing. A kill there holds the write until the restarted engine takes the
 * run back, however long the limiter had already spread the write (a run that woke with a dozen
 * comments queued ahead of it is still waiting for its slot a second later when the kill comes).
 */
function writeClockFrom(resumedAt: number, written: number, outages: Outage[]): number {
  let from = resumedAt;
  for (const outage of outages) {
    if (outage.killedAt < written && outage.healthyAt > from) from = outage.healthyAt;
  }
  return from;
}

function eventIdOf(record: RequestRecord): string | undefined {
  const content = (record.body as { content?: unknown } | undefined)?.content;
  if (typeof content !== 'string' || !content.startsWith(`${MARKER} `)) return undefined;
  return content.slice(MARKER.length + 1).replace(/^feishu:/, '');
}

/** The comment writes of the rule, by event: applied ones and every attempt, with times. */
function writesByEvent(world: World) {
  const writes = new Map<string, { applied: number[]; attempts: number }>();
  for (const record of world.sim.requests({ route: 'comment.create' })) {
    const id = eventIdOf(record);
    if (id === undefined) continue;
    const entry = writes.get(id) ?? { applied: [], attempts: 0 };
    entry.attempts += 1;
    if (record.status === 200 && (record.err_code ?? 0) === 0 && record.outcome === 'answered')
      entry.applied.push(record.time);
    writes.set(id, entry);
  }
  return writes;
}

async function checkOutcome(
  world: World,
  row: Row,
  dueAt: Map<string, number>,
  accepted: Set<string>,
  outages: Outage[],
): Promise<void> {
  const drained = await waitUntil(async () => {
    const writes = writesByEvent(world);
    if ([...accepted].some((uuid) => !writes.get(uuid)?.applied.length)) return false;
    return (await unfinishedRuns(world)).length === 0;
  }, 300_000);
  expectThat(row, drained, 'the runs did not all resume and finish within 300 s');

  const writes = writesByEvent(world);
  const comments = new Map<string, number>();
  for (const c of world.sim.tenant.data.comments) {
    if (!c.content.startsWith(`${MARKER} `)) continue;
    const id = c.content.slice(MARKER.length + 1).replace(/^feishu:/, '');
    comments.set(id, (comments.get(id) ?? 0) + 1);
  }
  const lost = [...accepted].filter((uuid) => !writes.get(uuid)?.applied.length);
  row.lost = lost.length;
  row.appliedTwice = [...accepted].filter(
    (uuid) => (writes.get(uuid)?.applied.length ?? 0) > 1 || (comments.get(uuid) ?? 0) > 1,
  ).length;

  const timing = await resumptionTimes(world, accepted, dueAt, writes, outages);
  const resent = [...writes.values()].reduce((n, w) => n + w.attempts - w.applied.length, 0);
  const unfinished = await unfinishedRuns(world);
  row.notes.push(
    `${accepted.size} runs: ${writes.size} resumed, ${lost.length} lost, ${row.appliedTwice} twice; ` +
      `${resent} comment writes sent again and refused as already applied (10430) or cut`,
    `resumed after due, engine up: ${spread(timing.onTime)} (${timing.onTime.length} runs)`,
    `resumed after recovery, due while the engine was down: ${spread(timing.afterRecovery)} (${timing.afterRecovery.length} runs)`,
    `comment written after resuming: ${spread(timing.writeDelays)} (the limiter's 15/s spreads what an outage held back)`,
    `${timing.notParked} runs planned after their due time (their event was held by an outage), so never parked`,
    `${unfinished.length} runs queued, running, parked or dead at the end`,
  );
  if (lost.length > 0) {
    const trace = await (await world.admin(`/api/events/${lost[0]}/trace`)).text();
    row.failures.push(`${lost.length} runs never resumed, e.g. ${lost[0]}: ${trace.slice(0, 1500)}`);
  }
  expectThat(row, row.appliedTwice === 0, `${row.appliedTwice} runs resumed twice`);
  const { late } = timing;
  if (late.length > 0) {
    const timelines = await Promise.all(
      late.slice(0, 3).map((entry) => timeline(world, entry.split(' ')[0] as string, dueAt, writes, outages)),
    );
    row.failures.push(
      `${late.length} runs resumed or wrote late, e.g. ${late.slice(0, 5).join('; ')}; ` +
        `timelines (ms from due): ${timelines.join(' | ')}`,
    );
  }
  expectThat(row, unfinished.length === 0, `${unfinished.length} runs unfinished or dead`);
}

type Stories = Map<string, { receivedAt?: number; audit: Array<{ at: number; kind: string }> }>;

/** Each event's audit records (engine clock, the same machine's as ours), through the admin API. */
async function auditOf(world: World, uuids: string[]): Promise<Stories> {
  const stories: Stories = new Map();
  for (let i = 0; i < uuids.length; i += 25) {
    await Promise.all(
      uuids.slice(i, i + 25).map(async (uuid) => {
        const answer = await world.admin(`/api/events/${encodeURIComponent(uuid)}/trace`);
        const story = answer.ok
          ? ((await answer.json()) as {
              event?: { receivedAt: number };
              audit: Array<{ at: number; kind: string }>;
            })
          : undefined;
        stories.set(uuid, { receivedAt: story?.event?.receivedAt, audit: story?.audit ?? [] });
      }),
    );
  }
  return stories;
}

/**
 * A run resumed at its last `run.woken` before its comment was written (a wake cut short by a
 * kill is woken again); one planned after its due time never parked and went straight on, and
 * is not held to a time before its event was stored (a redelivery after the outage). The
 * comment may then wait for the limiter: at most 1 s plus 1/15 s for each comment written in
 * between.
 */
async function resumptionTimes(
  world: World,
  accepted: Set<string>,
  dueAt: Map<string, number>,
  writes: ReturnType<typeof writesByEvent>,
  outages: Outage[],
) {
  const stories = await auditOf(world, [...accepted]);
  const allWrites = [...writes.values()].flatMap((w) => w.applied);
  const result = {
    onTime: [] as number[],
    afterRecovery: [] as number[],
    writeDelays: [] as number[],
    notParked: 0,
    late: [] as string[],
  };
  for (const uuid of accepted) {
    const written = writes.get(uuid)?.applied[0];
    const due = dueAt.get(uuid);
    const story = stories.get(uuid);
    const audit = story?.audit ?? [];
    if (written === undefined || due === undefined) continue;
    const woken = audit.filter((r) => r.kind === 'run.woken' && r.at <= written).at(-1);
    const planned = audit.find((r) => r.kind === 'run.planned');
    if (!woken) result.notParked += 1;
    const resumedAt = woken?.at ?? planned?.at ?? written;
    const { from: resumeFrom, afterOutage } = resumeBy(due, outages);
    const from = woken ? resumeFrom : Math.max(resumeFrom, story?.receivedAt ?? 0);
    const lateness = resumedAt - from;
    (afterOutage ? result.afterRecovery : result.onTime).push(lateness);
    if (lateness > ON_TIME_MS)
      result.late.push(`${uuid} resumed ${lateness} ms after ${afterOutage ? 'recovery' : 'due'}`);
    const delay = written - resumedAt;
    result.writeDelays.push(delay);
    const writeFrom = writeClockFrom(resumedAt, written, outages);
    const queued = allWrites.filter((t) => t > resumedAt && t < written).length;
    if (written - writeFrom > ON_TIME_MS + (queued * 1000) / 15)
      result.late.push(
        `${uuid} wrote ${delay} ms after resuming${writeFrom > resumedAt ? ` (${written - writeFrom} ms after the recovery)` : ''}, ${queued} comments written in between`,
      );
  }
  return result;
}

/** A late run's story in ms from its due time: audit records, its first write, the outages near it. */
async function timeline(
  world: World,
  uuid: string,
  dueAt: Map<string, number>,
  writes: ReturnType<typeof writesByEvent>,
  outages: Outage[],
): Promise<string> {
  const due = dueAt.get(uuid) as number;
  const story = (await (await world.admin(`/api/events/${uuid}/trace`)).json()) as {
    audit: Array<{ at: number; kind: string }>;
  };
  const steps = story.audit.map((r) => `${r.kind}@${r.at - due}`);
  const near = outages
    .filter((o) => Math.abs(o.killedAt - due) < 10_000)
    .map((o) => `down ${o.killedAt - due}..${o.healthyAt - due}`);
  return `${uuid}: ${[...steps, `write@${(writes.get(uuid)?.applied[0] ?? due) - due}`, ...near].join(', ')}`;
}

async function unfinishedRuns(world: World) {
  const lists = await Promise.all(
    ['queued', 'running', 'parked', 'dead'].map((state) => runsOf(world, RULE_ID, state)),
  );
  return lists.flat();
}

/** p50 / p99 / max of lateness in ms. */
function spread(values: number[]): string {
  if (values.length === 0) return 'none';
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)} ms`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
