/**
 * Soak (long mode): a steady webhook load for a long while; the engine's resident memory is
 * sampled from /proc (split into anonymous, file-backed and shared memory), and from /metrics
 * its V8 heap after the last major collection, the young generation's size, external memory
 * and the event-loop delay p99; the memory slopes after a warm-up are reported in MiB per hour.
 * The goal for both RSS and the heap after GC: at most 10 MiB/h. RSS follows V8's heap sizing,
 * which the engine's Node flags bound (src/ops/serve-node-flags.ts).
 */
import { readFileSync } from 'node:fs';
import { createdWebhook, WORK_ITEMS } from './support/feishu-webhook.ts';
import { expectThat, newRow, runsOf, waitUntil, type Row } from './support/figures.ts';
import { startLoad } from './support/load.ts';
import { createWorld, FIRST_EXTRA_ISSUE } from './support/world.ts';

export interface SoakOptions {
  minutes: number;
  rate: number;
}

const RULE = `id: soak-mark
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - comment: { text: "soak-mark {{event.id}}" }
`;
const ISSUES = 200;
const SAMPLE_MS = 10_000;
/** What the engine may keep growing by per hour under a steady load, resident and heap (issue #16.1). */
const SLOPE_GOAL_MIB_H = 10;

export async function runSoak(options: SoakOptions): Promise<Row> {
  const row = newRow('soak', `${options.rate} events/s for ${options.minutes} min`, '—');
  const writeEvery = Math.max(2, Math.ceil(options.rate / 10));
  const world = await createWorld({ rules: { 'soak-mark.yaml': RULE }, extraIssues: ISSUES });
  try {
    const engine = await world.startEngine();
    const load = startLoad({
      baseUrl: engine.url,
      rate: options.rate,
      body: (i) =>
        createdWebhook(
          `soak-${i}`,
          i % writeEvery === 0
            ? { id: FIRST_EXTRA_ISSUE + ((i / writeEvery) % ISSUES), type: 'issue' }
            : (WORK_ITEMS[i % 2] as (typeof WORK_ITEMS)[number]),
        ),
    });
    const samples: Sample[] = [];
    const started = Date.now();
    while (Date.now() - started < options.minutes * 60_000) {
      await new Promise((done) => setTimeout(done, SAMPLE_MS));
      const metrics = await (await fetch(`${engine.url}/metrics`)).text();
      samples.push({
        minute: (Date.now() - started) / 60_000,
        ...residentMiB(engine.pid),
        heapMiB: gauge(metrics, 'autopilot_heap_after_gc_bytes') / 2 ** 20,
        externalMiB: gauge(metrics, 'nodejs_external_memory_bytes') / 2 ** 20,
        newSpaceMiB: gauge(metrics, 'nodejs_heap_space_size_total_bytes{space="new"}') / 2 ** 20,
        lagP99Ms: gauge(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      });
    }
    await load.finish();
    const drained = await waitUntil(async () => {
      const open = await runsOf(world, 'soak-mark', 'queued');
      return open.length === 0;
    }, 300_000);
    const warm = samples.filter((s) => s.minute >= options.minutes * 0.2);
    const slopeOf = (part: (s: Sample) => number) => slopePerHour(warm.map((s) => [s.minute, part(s)]));
    const slope = slopeOf((s) => s.rssMiB);
    const range = (part: (s: Sample) => number, digits = 0) =>
      `${samples[0] ? part(samples[0]).toFixed(digits) : '?'} → ${samples.at(-1) ? part(samples.at(-1) as Sample).toFixed(digits) : '?'} MiB (${slopeOf(part).toFixed(1)} MiB/h)`;
    // 0 until the engine's first major collection.
    const heaps = warm.filter((s) => Number.isFinite(s.heapMiB) && s.heapMiB > 0);
    const heapSlope = slopePerHour(heaps.map((s) => [s.minute, s.heapMiB]));
    const lags = samples.map((s) => s.lagP99Ms).sort((a, b) => a - b);
    row.load = `${options.rate} events/s for ${options.minutes} min, ${load.stats.sent} events`;
    row.lost = load.stats.sent - load.stats.accepted.size;
    row.notes.push(
      `RSS ${samples[0]?.rssMiB.toFixed(0)} → ${samples.at(-1)?.rssMiB.toFixed(0)} MiB; slope after warm-up ${slope.toFixed(1)} MiB/h (the goal: ≤ ${SLOPE_GOAL_MIB_H})`,
      `RSS parts (/proc/<pid>/status; slopes after warm-up): anonymous ${range((s) => s.anonMiB)}, file-backed ${range((s) => s.fileMiB)}, shared memory ${range((s) => s.shmemMiB, 1)}`,
      `V8 young generation (new space) ${range((s) => s.newSpaceMiB)}, largest ${Math.max(...samples.map((s) => s.newSpaceMiB)).toFixed(0)} MiB; external memory (Buffers, ArrayBuffers, native handles) ${range((s) => s.externalMiB, 1)}`,
      `V8 heap after the last major GC ${heaps[0]?.heapMiB.toFixed(1)} → ${heaps.at(-1)?.heapMiB.toFixed(1)} MiB; slope after warm-up ${heapSlope.toFixed(1)} MiB/h (the goal: ≤ ${SLOPE_GOAL_MIB_H})`,
      `event-loop delay p99 (per 10 s window): median ${pick(lags, 0.5).toFixed(1)} ms, worst ${pick(lags, 1).toFixed(1)} ms`,
    );
    expectThat(row, drained, 'queue not drained 300 s after the soak');
    expectThat(row, row.lost === 0, `${row.lost} events never accepted`);
    // File-backed pages (the node binary, libraries) are counted too: in this soak they stay flat,
    // and SQLite reads its file through its own page cache (anonymous), not by mapping it.
    expectThat(
      row,
      warm.length >= 2 && slope <= SLOPE_GOAL_MIB_H,
      `RSS grew ${slope.toFixed(1)} MiB/h after warm-up (goal ≤ ${SLOPE_GOAL_MIB_H})`,
    );
    expectThat(
      row,
      heaps.length >= 2 && heapSlope <= SLOPE_GOAL_MIB_H,
      `the heap after GC grew ${heapSlope.toFixed(1)} MiB/h after warm-up (goal ≤ ${SLOPE_GOAL_MIB_H})`,
    );
  } finally {
    await world.close();
  }
  return row;
}

interface Resident {
  rssMiB: number;
  /** Anonymous memory: the heap, malloc arenas, native buffers, SQLite's page cache. */
  anonMiB: number;
  /** File-backed pages mapped in (code, mmapped files): the kernel can drop them. */
  fileMiB: number;
  /** Shared memory (SQLite's WAL index, the -shm file). */
  shmemMiB: number;
}

interface Sample extends Resident {
  minute: number;
  heapMiB: number;
  externalMiB: number;
  /** V8's young generation as sized now (it grows in steps under load, up to twice the max semi-space). */
  newSpaceMiB: number;
  lagP99Ms: number;
}

function residentMiB(pid: number): Resident {
  // /proc/<pid>/status splits VmRSS into RssAnon + RssFile + RssShmem (smaps_rollup does not).
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rssMiB: kib('VmRSS') / 1024,
    anonMiB: kib('RssAnon') / 1024,
    fileMiB: kib('RssFile') / 1024,
    shmemMiB: kib('RssShmem') / 1024,
  };
}

/** A gauge's value (`name` with its labels, if any) in a /metrics text, NaN when it is absent. */
function gauge(metrics: string, name: string): number {
  const literal = name.replace(/[{}.*+?^$()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${literal}\\s+([\\d.e+-]+)`, 'm').exec(metrics);
  return match ? Number(match[1]) : NaN;
}

/** Least-squares slope of (minute, MiB), in MiB per hour. */
function slopePerHour(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

function pick(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? NaN;
}
