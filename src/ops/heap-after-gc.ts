/**
 * The V8 heap in use right after the last major (mark-compact) collection: what the engine
 * really holds, unlike resident memory, which also follows how large V8 lets its heap grow
 * before collecting. A growing value across hours is a leak; a growing RSS with a flat value is
 * heap sizing. One observer per process, whatever the number of engines in it.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

let afterMajorGc: number | undefined;
let observer: PerformanceObserver | undefined;

export function watchHeapAfterGc(): void {
  if (observer) return;
  observer = new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some(
        (entry) =>
          ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ===
          constants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (major) afterMajorGc = getHeapStatistics().used_heap_size;
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** Bytes of V8 heap in use after the last major collection, or undefined before the first. */
export function heapAfterLastMajorGc(): number | undefined {
  return afterMajorGc;
}
