/**
 * A steady stream of webhook deliveries, the way Feishu Project sends them: each event has a
 * fixed uuid; a delivery that is not answered 2xx (engine down, killed mid-request) is sent
 * again later, so every event is accepted in the end. Records which events were answered 2xx.
 */
import { deliver } from './feishu-webhook.ts';

export interface LoadOptions {
  baseUrl: string;
  /** Events per second. */
  rate: number;
  /** The body of event number `i`. */
  body: (i: number) => { header: { uuid: string } };
  /** Stop making new events after this many (redeliveries go on). @defaultValue no limit */
  count?: number;
}

export interface LoadStats {
  sent: number;
  deliveries: number;
  failedDeliveries: number;
  /** uuids answered 2xx at least once. */
  accepted: Set<string>;
  /**
   * Deliveries answered 408 by the engine's request timeouts (`server.headersTimeoutMs`): an
   * engine catching up after a restart under the full load did not read them in time and said
   * so; the sender sends them again, as it does after a cut connection.
   */
  timedOut: number;
  /** Non-2xx, non-network statuses seen other than 408 (should be none). */
  badStatuses: Map<number, number>;
}

export interface Load {
  stats: LoadStats;
  /** Stops new events; resolves when every event sent so far was answered 2xx. */
  finish(timeoutMs?: number): Promise<void>;
}

export function startLoad(options: LoadOptions): Load {
  const stats: LoadStats = {
    sent: 0,
    deliveries: 0,
    failedDeliveries: 0,
    accepted: new Set(),
    timedOut: 0,
    badStatuses: new Map(),
  };
  const retry: Array<{ uuid: string; body: unknown; at: number }> = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let stopped = false;

  const send = (uuid: string, body: unknown) => {
    stats.deliveries += 1;
    const p = deliver(options.baseUrl, body).then(({ status }) => {
      if (status >= 200 && status < 300) stats.accepted.add(uuid);
      else {
        stats.failedDeliveries += 1;
        if (status === 408) stats.timedOut += 1;
        else if (status !== 0) stats.badStatuses.set(status, (stats.badStatuses.get(status) ?? 0) + 1);
        // Like a webhook sender's backoff: no storm against an engine that is restarting.
        retry.push({ uuid, body, at: Date.now() + 500 });
      }
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const resendDue = () => {
    const now = Date.now();
    for (let i = retry.length - 1; i >= 0; i -= 1) {
      const item = retry[i] as (typeof retry)[number];
      if (item.at > now) continue;
      retry.splice(i, 1);
      send(item.uuid, item.body);
    }
  };

  const tick = () => {
    if (stopped) return;
    const due = Math.min(
      Math.floor(((Date.now() - started) / 1000) * options.rate),
      options.count ?? Number.POSITIVE_INFINITY,
    );
    while (stats.sent < due) {
      const body = options.body(stats.sent);
      stats.sent += 1;
      send(body.header.uuid, body);
    }
    resendDue();
    setTimeout(tick, 10);
  };
  tick();

  return {
    stats,
    async finish(timeoutMs = 120_000) {
      stopped = true;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await Promise.all([...inFlight]);
        if (retry.length === 0) return;
        if (Date.now() > deadline) throw new Error(`${retry.length} deliveries never answered 2xx`);
        await new Promise((done) => setTimeout(done, 200));
        resendDue();
      }
    },
  };
}
