/**
 * The rate limiter's use per endpoint as this process sees it: requests let out in the last
 * second and minute, and how often one had to wait. Fed by the counting limiter
 * (src/engine/counting-limiter.ts); the overview page shows it beside the API's limits.
 */
export interface LimiterUse {
  endpoint: string;
  lastSecond: number;
  lastMinute: number;
  waits: number;
}

export interface LimiterUsage {
  granted(endpoint: string, at: number): void;
  waited(endpoint: string): void;
  snapshot(now: number): LimiterUse[];
}

const MINUTE = 60_000;

export function createLimiterUsage(): LimiterUsage {
  const grants = new Map<string, number[]>();
  const waits = new Map<string, number>();
  const prune = (times: number[], now: number) => {
    const cut = times.findIndex((t) => t > now - MINUTE);
    times.splice(0, cut === -1 ? times.length : cut);
  };
  return {
    granted(endpoint, at) {
      const times = grants.get(endpoint) ?? [];
      times.push(at);
      prune(times, at);
      grants.set(endpoint, times);
    },
    waited(endpoint) {
      waits.set(endpoint, (waits.get(endpoint) ?? 0) + 1);
    },
    snapshot(now) {
      const endpoints = new Set([...grants.keys(), ...waits.keys()]);
      return [...endpoints].sort().map((endpoint) => {
        const times = grants.get(endpoint) ?? [];
        prune(times, now);
        return {
          endpoint,
          lastSecond: times.filter((t) => t > now - 1000).length,
          lastMinute: times.length,
          waits: waits.get(endpoint) ?? 0,
        };
      });
    },
  };
}
