/**
 * Template parsing on big texts (issue #17.3: 150 KB values ending in `{{rule.id}}` grew the heap
 * by ~4.8 MB each). Side by side in one run, for texts of 1 KiB, 150 KiB and 1 MiB:
 *
 * - time per parse: our parser, the character-at-a-time parser it replaced, and the physical
 *   limit (one `indexOf` pass and two slices, no parsing at all);
 * - heap held per parse result (after GC), the same three;
 * - heap held after 300 distinct 150 KiB values went through the parse cache: ours (bounded by
 *   bytes) against the cache it replaced (5,000 entries, no byte bound; 2,000 values of it ran
 *   the benchmark out of its 4 GB heap).
 *
 * Run alone with `npx node bench/template-parse.bench.ts`. Writes bench/results/template-parse.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createParseCache } from '../src/templates/parse-cache.ts';
import { parseTemplate, type TemplatePart } from '../src/templates/parse.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = [1024, 150 * 1024, 1024 * 1024];
const CACHED_VALUES = 300;

/** The loop the parser had before (#17.3), kept here as the baseline. */
function oldParse(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
    } else if (text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i + 2);
      if (end < 0) throw new Error('never closed');
      if (literal) parts.push({ kind: 'text', text: literal });
      literal = '';
      parts.push(...parseTemplate(text.slice(i, end + 2)));
      i = end + 2;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal) parts.push({ kind: 'text', text: literal });
  return parts;
}

/** No parser can do less: find the look-up, slice the text around it. */
function limit(text: string): TemplatePart[] {
  const open = text.indexOf('{{');
  const end = text.indexOf('}}', open);
  return [
    { kind: 'text', text: text.slice(0, open) },
    { kind: 'expr', path: text.slice(open + 2, end), formatters: [], raw: text.slice(open, end + 2) },
  ];
}

const SIDES = { ours: parseTemplate, 'old parser': oldParse, 'limit (indexOf + slice)': limit };

function textOf(size: number, i: number): string {
  return `${i}:${'x'.repeat(size)}{{rule.id}}`;
}

function bestMsPerParse(parse: (t: string) => TemplatePart[], size: number): number {
  const n = Math.max(3, Math.floor((4 * 1024 * 1024) / size));
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round += 1) {
    const texts = Array.from({ length: n }, (_, i) => textOf(size, round * n + i));
    let parts = 0;
    const t0 = performance.now();
    for (const text of texts) parts += parse(text).length;
    if (parts < n) throw new Error('a text lost its look-up');
    best = Math.min(best, (performance.now() - t0) / n);
  }
  return best;
}

/** Heap after GC held by `n` results kept alive, per result, minus the source texts themselves. */
function heldBytesPerParse(parse: (t: string) => TemplatePart[], size: number): number {
  const n = Math.max(4, Math.floor((8 * 1024 * 1024) / size));
  const texts = Array.from({ length: n }, (_, i) => textOf(size, i));
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = texts.map((text) => parse(text));
  gc();
  const held = process.memoryUsage().heapUsed - before;
  if (kept.length !== n) throw new Error('unreachable');
  return held / n;
}

function oldCache(): (text: string) => readonly TemplatePart[] {
  const parsed = new Map<string, readonly TemplatePart[]>();
  return (text) => {
    let parts = parsed.get(text);
    if (parts === undefined) {
      parts = oldParse(text);
      if (parsed.size >= 5_000) parsed.clear();
      parsed.set(text, parts);
    }
    return parts;
  };
}

function heldByCache(parts: (text: string) => readonly TemplatePart[]): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < CACHED_VALUES; i += 1) {
    for (const part of parts(textOf(150 * 1024, i))) if (part.kind === 'text') part.text.charCodeAt(0);
  }
  gc();
  return process.memoryUsage().heapUsed - before;
}

const MiB = 1024 * 1024;
const rows: Array<Record<string, string | number>> = [];
for (const size of SIZES) {
  const row: Record<string, string | number> = { size: `${size / 1024} KiB` };
  for (const [name, parse] of Object.entries(SIDES)) {
    row[`${name} ms`] = Number(bestMsPerParse(parse, size).toFixed(4));
    row[`${name} held KiB`] = Number((heldBytesPerParse(parse, size) / 1024).toFixed(1));
  }
  rows.push(row);
}
const cacheOurs = heldByCache((text) => createParseCache(parseTemplate).parts(text));
const shared = createParseCache(parseTemplate);
const cacheBounded = heldByCache((text) => shared.parts(text));
const cacheOld = heldByCache(oldCache());

console.table(rows);
const ratio = (a: unknown, b: unknown) => (Number(a) / Number(b)).toFixed(2);
for (const row of rows) {
  console.log(
    `${row.size}: ours takes ${ratio(row['ours ms'], row['limit (indexOf + slice) ms'])}× the limit's time ` +
      `(old parser ${ratio(row['old parser ms'], row['limit (indexOf + slice) ms'])}×); holds ` +
      `${ratio(row['ours held KiB'], row['limit (indexOf + slice) held KiB'])}× the limit's heap ` +
      `(old parser ${ratio(row['old parser held KiB'], row['limit (indexOf + slice) held KiB'])}×)`,
  );
}
console.log(
  `${CACHED_VALUES} distinct 150 KiB values through the parse cache: ours holds ${(cacheBounded / MiB).toFixed(1)} MiB ` +
    `(stats ${JSON.stringify(shared.stats())}), the old 5,000-entry cache ${(cacheOld / MiB).toFixed(1)} MiB ` +
    `(no cache at all: ${(cacheOurs / MiB).toFixed(1)} MiB)`,
);
const result = {
  bench: 'template-parse',
  at: new Date().toISOString(),
  machine: { node: process.version, cpus: cpus().length, loadavg: loadavg() },
  rows,
  cache: { oursBytes: cacheBounded, oldBytes: cacheOld, uncachedBytes: cacheOurs, stats: shared.stats() },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/template-parse.json', import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);
