/**
 * Fault injection: each request to the Open API may be reset, answered with a gateway 5xx or
 * a transient 50006, delayed, or (for writes) applied and then have its response lost.
 * Decisions come from a seeded PRNG so a failing run can be replayed.
 */
import { AutopilotError } from '../errors.ts';

export interface ChaosOptions {
  /** Probability of `50006 openapi system err, please try again later` (nothing applied). @defaultValue 0 */
  error50006?: number;
  /** Probability of an HTTP 502/503 HTML gateway page (nothing applied). @defaultValue 0 */
  http5xx?: number;
  /** Probability of a connection reset before the request is handled. @defaultValue 0 */
  reset?: number;
  /** Probability, for writes, that the write is applied and then the socket destroyed. @defaultValue 0 */
  lostResponse?: number;
  /** Added latency in ms, applied with probability `latencyRate`. @defaultValue 0 */
  latencyMs?: number;
  /** @defaultValue 1 when latencyMs is set */
  latencyRate?: number;
  /** Probability that a webhook push is never sent (recorded as a `dropped` delivery). @defaultValue 0 */
  webhookDrop?: number;
  /** Delay in ms before a webhook push is sent, applied with probability `webhookDelayRate`. @defaultValue 0 */
  webhookDelayMs?: number;
  /** @defaultValue 1 when webhookDelayMs is set */
  webhookDelayRate?: number;
  /** PRNG seed; the same seed and request sequence give the same faults. @defaultValue 1 */
  seed?: number;
}

/** What happens to one webhook push. */
export type PushFault = { kind: 'drop' } | { kind: 'delay'; ms: number } | undefined;

/** Options that are durations or seeds, not probabilities. */
const NOT_PROBABILITIES = new Set(['latencyMs', 'webhookDelayMs', 'seed']);

export type ChaosFault = 'reset' | 'http5xx' | 'error50006';

/** mulberry32: tiny, fast and good enough to decide faults reproducibly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Chaos {
  private options: ChaosOptions = {};
  private random: () => number = mulberry32(1);
  /** Webhook faults draw from their own sequence, so they replay whatever the requests do. */
  private pushRandom: () => number = mulberry32(2);

  constructor(options: ChaosOptions = {}) {
    this.configure(options);
  }

  configure(options: ChaosOptions): void {
    for (const [key, value] of Object.entries(options)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new AutopilotError('AP_CONFIG_INVALID', `chaos ${key} must be a non-negative number`);
      }
      if (!NOT_PROBABILITIES.has(key) && value > 1) {
        throw new AutopilotError('AP_CONFIG_INVALID', `chaos ${key} is a probability between 0 and 1`);
      }
    }
    this.options = { ...options };
    this.random = mulberry32(options.seed ?? 1);
    this.pushRandom = mulberry32((options.seed ?? 1) + 0x9e3779b9);
  }

  current(): ChaosOptions {
    return { ...this.options };
  }

  private roll(probability: number | undefined): boolean {
    return probability !== undefined && probability > 0 && this.random() < probability;
  }

  /** The fault to inject before handling, if any. */
  before(): ChaosFault | undefined {
    if (this.roll(this.options.reset)) return 'reset';
    if (this.roll(this.options.http5xx)) return 'http5xx';
    if (this.roll(this.options.error50006)) return 'error50006';
    return undefined;
  }

  delayMs(): number {
    const ms = this.options.latencyMs ?? 0;
    if (ms <= 0) return 0;
    return this.roll(this.options.latencyRate ?? 1) ? ms : 0;
  }

  loseResponse(): boolean {
    return this.roll(this.options.lostResponse);
  }

  /** Whether one webhook push to one target is dropped, delayed, or sent as usual. */
  push(): PushFault {
    const { webhookDrop, webhookDelayMs, webhookDelayRate } = this.options;
    if (webhookDrop !== undefined && webhookDrop > 0 && this.pushRandom() < webhookDrop)
      return { kind: 'drop' };
    if (webhookDelayMs === undefined || webhookDelayMs <= 0) return undefined;
    return this.pushRandom() < (webhookDelayRate ?? 1) ? { kind: 'delay', ms: webhookDelayMs } : undefined;
  }
}

const CLI_KEYS: Record<string, keyof ChaosOptions> = {
  '50006': 'error50006',
  error50006: 'error50006',
  '5xx': 'http5xx',
  http5xx: 'http5xx',
  reset: 'reset',
  lost: 'lostResponse',
  lostResponse: 'lostResponse',
  latency: 'latencyMs',
  latencyMs: 'latencyMs',
  latency_rate: 'latencyRate',
  latencyRate: 'latencyRate',
  webhook_drop: 'webhookDrop',
  webhookDrop: 'webhookDrop',
  webhook_delay: 'webhookDelayMs',
  webhookDelayMs: 'webhookDelayMs',
  webhook_delay_rate: 'webhookDelayRate',
  webhookDelayRate: 'webhookDelayRate',
  seed: 'seed',
};

/** `--chaos 50006=0.1,5xx=0.05,reset=0.02,lost=0.05,latency=200,webhook_drop=0.1,webhook_delay=60000,webhook_delay_rate=0.05,seed=42` */
export function parseChaosSpec(spec: string): ChaosOptions {
  const options: ChaosOptions = {};
  for (const part of spec.split(',').filter((p) => p.trim() !== '')) {
    const [rawKey, rawValue] = part.split('=').map((s) => s.trim());
    const key = CLI_KEYS[rawKey ?? ''];
    const value = Number(rawValue);
    if (!key) {
      throw new AutopilotError(
        'AP_CONFIG_INVALID',
        `unknown chaos key '${rawKey}' (known: ${Object.keys(CLI_KEYS).join(', ')})`,
      );
    }
    if (rawValue === undefined || rawValue === '' || !Number.isFinite(value)) {
      throw new AutopilotError(
        'AP_CONFIG_INVALID',
        `chaos ${rawKey} needs a number, got '${rawValue ?? ''}'`,
      );
    }
    options[key] = value;
  }
  return options;
}
