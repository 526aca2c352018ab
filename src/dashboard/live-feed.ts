/**
 * Live updates: every audit batch this process records is announced to the open dashboards as a
 * server-sent event (kinds counted, ids named), coalesced to at most a few a second; a `tick`
 * every 10 s lets pages catch up with what other processes of a cluster did.
 */
import type { Request, Response } from 'express';
import type { AuditRecord, AuditStore } from '../store/ports.ts';

export interface LiveFeed {
  publish(records: readonly AuditRecord[]): void;
  /** GET handler of the event stream. */
  stream(req: Request, res: Response): void;
  /** Ends every open stream (the server cannot close while they are open). */
  close(): void;
}

interface Pending {
  kinds: Record<string, number>;
  eventIds: string[];
  runIds: string[];
  ruleIds: string[];
}

const FLUSH_MS = 250;
const TICK_MS = 10_000;
const MAX_IDS = 20;

export function createLiveFeed(now: () => number): LiveFeed {
  const clients = new Set<Response>();
  let pending: Pending | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;

  const send = (name: string, data: unknown) => {
    const text = `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(text);
  };
  const flush = () => {
    flushTimer = undefined;
    if (!pending) return;
    send('audit', { at: now(), ...pending });
    pending = undefined;
  };
  const remember = (list: string[], id: string | undefined) => {
    if (id !== undefined && list.length < MAX_IDS && !list.includes(id)) list.push(id);
  };

  return {
    publish(records) {
      if (clients.size === 0 || records.length === 0) return;
      pending ??= { kinds: {}, eventIds: [], runIds: [], ruleIds: [] };
      for (const r of records) {
        pending.kinds[r.kind] = (pending.kinds[r.kind] ?? 0) + 1;
        remember(pending.eventIds, r.eventId);
        remember(pending.runIds, r.runId);
        remember(pending.ruleIds, r.ruleId);
      }
      flushTimer ??= setTimeout(flush, FLUSH_MS);
      flushTimer.unref();
    },
    stream(req, res) {
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ at: now() })}\n\n`);
      clients.add(res);
      if (!tickTimer) {
        tickTimer = setInterval(() => send('tick', { at: now() }), TICK_MS);
        tickTimer.unref();
      }
      req.on('close', () => {
        clients.delete(res);
        if (clients.size === 0 && tickTimer) {
          clearInterval(tickTimer);
          tickTimer = undefined;
        }
      });
    },
    close() {
      clearTimeout(flushTimer);
      clearInterval(tickTimer);
      tickTimer = undefined;
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}

/** The audit store, announcing what it recorded once it is stored. */
export function liveAudit(audit: AuditStore, feed: LiveFeed): AuditStore {
  return {
    async record(entries) {
      await audit.record(entries);
      feed.publish(entries);
    },
    query: (q) => audit.query(q),
    purge: (olderThan) => audit.purge(olderThan),
  };
}
