/**
 * Every metric family the engine registers, read from a real registry (with the queue gauges),
 * so the README and the files under deploy/ are checked against what /metrics really serves.
 */
import { createMetrics, registerMemoryGauge } from '../../src/ops/metrics.ts';
import type { EventLog, RunQueue } from '../../src/store/ports.ts';

export async function engineMetricNames(): Promise<string[]> {
  const probe = {
    runs: { stats: async () => ({ depth: 0, parked: 0, oldestDueAgeMs: 0, dead: 0 }) } as unknown as RunQueue,
    events: { pendingCount: async () => 0 } as unknown as EventLog,
    now: () => 0,
  };
  const { registry } = createMetrics(probe);
  // Registered by start-engine once the structures it measures exist.
  registerMemoryGauge(registry, () => ({}));
  const families = await registry.getMetricsAsJSON();
  return families.map((family) => family.name);
}
