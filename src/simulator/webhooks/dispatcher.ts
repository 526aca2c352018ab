/**
 * Pushes webhooks the way Feishu Project automation would: POST JSON to every registered
 * target whose filter matches, after the API call that caused it has been answered. One lane
 * per (target, work item) keeps each item's events in order; failures are retried a few
 * times; every attempt is recorded.
 */
import { randomUUID } from 'node:crypto';
import type { PushFault } from '../chaos.ts';

export interface WebhookTarget {
  id: string;
  url: string;
  /** Overrides the simulator's webhook token for this target. */
  token?: string;
  /** Only these event types (all when absent). */
  event_types?: string[];
  project_key?: string;
  work_item_type_key?: string;
}

export interface WebhookEvent {
  header: { event_type: string; token: string; uuid: string; operator: string };
  payload: Record<string, unknown> & { id: number; project_key: string; work_item_type_key: string };
}

export interface Delivery {
  id: string;
  target_id: string;
  url: string;
  event_type: string;
  uuid: string;
  work_item_id: number;
  /** `dropped`: chaos decided it is never sent (the change stays in the operation records). */
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  /** Set when chaos held the push back this long before sending it. */
  delayed_ms?: number;
  attempts: number;
  response_status?: number;
  error?: string;
  body: WebhookEvent;
}

export interface DispatcherOptions {
  token: string;
  /** Attempts per delivery. @defaultValue 3 */
  attempts?: number;
  /** Delay before the n-th retry is n × this. @defaultValue 100 */
  retryDelayMs?: number;
  /** Per-attempt timeout. @defaultValue 5000 */
  timeoutMs?: number;
  /** Chaos for pushes: drop or delay one (target, event). @defaultValue none */
  fault?: () => PushFault;
}

export class WebhookDispatcher {
  private targets: WebhookTarget[] = [];
  private log: Delivery[] = [];
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  readonly token: string;
  private readonly options: Required<Omit<DispatcherOptions, 'token'>>;

  constructor(options: DispatcherOptions) {
    this.token = options.token;
    this.options = {
      attempts: options.attempts ?? 3,
      retryDelayMs: options.retryDelayMs ?? 100,
      timeoutMs: options.timeoutMs ?? 5000,
      fault: options.fault ?? (() => undefined),
    };
  }

  register(target: Omit<WebhookTarget, 'id'>): WebhookTarget {
    const full = { ...target, id: `wh_${this.targets.length + 1}_${randomUUID().slice(0, 8)}` };
    this.targets.push(full);
    return full;
  }

  unregister(id: string): boolean {
    const before = this.targets.length;
    this.targets = this.targets.filter((t) => t.id !== id);
    return this.targets.length < before;
  }

  list(): WebhookTarget[] {
    return [...this.targets];
  }

  deliveries(): Delivery[] {
    return [...this.log];
  }

  /**
   * Queue events for every matching target; returns at once. Chaos may drop a push (recorded,
   * never sent) or hold it back: a delayed push joins its lane when the delay is over, so it
   * arrives after later changes of the same item, as a slow provider's would.
   */
  push(events: WebhookEvent[]): void {
    for (const event of events) {
      for (const target of this.targets.filter((t) => matches(t, event))) {
        const fault = this.options.fault();
        if (fault?.kind === 'drop') this.log.push({ ...this.delivery(target, event), status: 'dropped' });
        else if (fault?.kind === 'delay') this.later(target, event, fault.ms);
        else this.enqueue(target, event);
      }
    }
  }

  private later(target: WebhookTarget, event: WebhookEvent, ms: number): void {
    const held = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.enqueue(target, event, ms);
        resolve();
      }, ms),
    );
    this.pending.add(held);
    void held.finally(() => this.pending.delete(held));
  }

  /**
   * Push a recorded delivery again with the same body and `header.uuid`, as a provider retrying
   * after a lost acknowledgement would: receivers must de-duplicate it.
   */
  redeliver(deliveryId: string): Delivery | undefined {
    const original = this.log.find((d) => d.id === deliveryId);
    const target = this.targets.find((t) => t.id === original?.target_id);
    if (!original || !target) return undefined;
    return this.enqueue(target, original.body);
  }

  /** Resolves when every queued delivery has finished (delivered or given up). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  clear(): void {
    this.log = [];
  }

  private delivery(target: WebhookTarget, event: WebhookEvent): Delivery {
    const body = target.token ? { ...event, header: { ...event.header, token: target.token } } : event;
    return {
      id: randomUUID(),
      target_id: target.id,
      url: target.url,
      event_type: event.header.event_type,
      uuid: event.header.uuid,
      work_item_id: event.payload.id,
      status: 'pending',
      attempts: 0,
      body,
    };
  }

  private enqueue(target: WebhookTarget, event: WebhookEvent, delayedMs?: number): Delivery {
    const delivery = this.delivery(target, event);
    if (delayedMs !== undefined) delivery.delayed_ms = delayedMs;
    this.log.push(delivery);
    const lane = `${target.id}:${event.payload.id}`;
    const run = (this.lanes.get(lane) ?? Promise.resolve()).then(() => this.deliver(delivery));
    this.lanes.set(lane, run);
    this.pending.add(run);
    void run.finally(() => {
      this.pending.delete(run);
      if (this.lanes.get(lane) === run) this.lanes.delete(lane);
    });
    return delivery;
  }

  private async deliver(delivery: Delivery): Promise<void> {
    while (delivery.attempts < this.options.attempts) {
      if (delivery.attempts > 0) await sleep(this.options.retryDelayMs * delivery.attempts);
      delivery.attempts += 1;
      try {
        const response = await fetch(delivery.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(delivery.body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        await response.arrayBuffer();
        delivery.response_status = response.status;
        delivery.error = undefined;
        if (response.ok) {
          delivery.status = 'delivered';
          return;
        }
      } catch (error) {
        delivery.error = (error as Error).message;
      }
    }
    delivery.status = 'failed';
  }
}

function matches(target: WebhookTarget, event: WebhookEvent): boolean {
  const { payload, header } = event;
  return (
    (target.event_types === undefined || target.event_types.includes(header.event_type)) &&
    (target.project_key === undefined ||
      target.project_key === payload.project_key ||
      target.project_key === payload.project_simple_name) &&
    (target.work_item_type_key === undefined || target.work_item_type_key === payload.work_item_type_key)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
