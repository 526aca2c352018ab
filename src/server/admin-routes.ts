import { Router, type Request, type Response } from 'express';
import type { Event } from '../events/event.ts';
import { AutopilotError } from '../errors.ts';
import { sendError } from '../ingest/http/http-errors.ts';
import { requireBearer } from './bearer-auth.ts';
import { manualRunRoute } from './manual-run-route.ts';
import { RUN_STATES, type AuditStore, type EventLog, type RunQueue, type RunState } from '../store/ports.ts';
import type { ReloadOutcome, RuleRegistry } from './rule-registry.ts';

export interface AdminDeps {
  token: string;
  rules: RuleRegistry<unknown>;
  runs: RunQueue;
  events: EventLog;
  audit: AuditStore;
  now: () => number;
  /** The whole story of one event (stored event, match trace, runs, attempts). */
  traceEvent: (eventId: string) => Promise<unknown | undefined>;
  pausedPairs: (now: number) => unknown[];
  /** The dashboard's data API (src/dashboard/data-routes.ts), also served here behind the token. */
  data?: Router;
  /** Wakes the event processor after a dead-lettered event was retried. */
  onEventRequeued?: () => void;
  /** A manual run's event was stored (POST /api/rules/:id/run): wakes the processor. */
  onEventStored?: (event: Event, inserted: boolean) => void;
  /** The drift watch's verdict on a rule, and the mode it runs in (src/meta/drift-watch.ts). */
  drift?: (ruleId: string) => { runsAs: string; since: number; problems: unknown[] } | undefined;
}

/** Admin API under /api: bearer token required on every route, compared in constant time. */
export function adminRoutes(deps: AdminDeps): Router {
  const router = Router();
  router.use('/api', requireBearer(deps.token, 'admin API needs a valid bearer token'));
  router.get('/api/rules', async (_req, res) => res.json(await describeRules(deps)));
  router.post('/api/reload', async (_req, res) => {
    const outcome: ReloadOutcome = await deps.rules.reload();
    res.status(outcome.ok ? 200 : 422).json(withLocations(outcome));
  });
  router.get('/api/events/:id/trace', async (req, res) => {
    const trace = await deps.traceEvent(String(req.params.id));
    if (trace === undefined) throw new AutopilotError('AP_NOT_FOUND', `no event '${req.params.id}'`);
    res.json(trace);
  });
  router.get('/api/runs', async (req, res) => {
    const state = req.query.state === undefined ? undefined : String(req.query.state);
    if (state !== undefined && !RUN_STATES.includes(state as RunState)) {
      throw new AutopilotError('AP_BAD_REQUEST', `state must be one of ${RUN_STATES.join(', ')}`);
    }
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    // The store refuses a limit that is not a positive integer; that is the caller's mistake (400).
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new AutopilotError('AP_BAD_REQUEST', 'limit must be a whole number from 1 to 1000');
    }
    const rule = req.query.rule === undefined ? undefined : String(req.query.rule);
    res.json(await deps.runs.list({ state: state as RunState | undefined, ruleId: rule, limit }));
  });
  router.get('/api/dead-letters', async (_req, res) =>
    res.json(await deps.runs.list({ state: 'dead', limit: 1000 })),
  );
  router.get('/api/dead-letters/events', async (_req, res) => res.json(await deps.events.listDead(1000)));
  router.post('/api/dead-letters/events/:id/retry', async (req, res) => {
    if (!(await deps.events.requeueDead(String(req.params.id), deps.now()))) {
      throw new AutopilotError('AP_NOT_FOUND', `no dead-lettered event '${req.params.id}'`);
    }
    deps.onEventRequeued?.();
    res.json({ ok: true, requeued: req.params.id });
  });
  router.delete('/api/dead-letters/events/:id', async (req, res) => {
    if (!(await deps.events.dropDead(String(req.params.id)))) {
      throw new AutopilotError('AP_NOT_FOUND', `no dead-lettered event '${req.params.id}'`);
    }
    res.json({ ok: true, dropped: req.params.id });
  });
  router.get('/api/breakers', (_req, res) => res.json(deps.pausedPairs(deps.now())));
  router.use(
    manualRunRoute({
      rules: () => deps.rules.current.byId,
      events: deps.events,
      now: deps.now,
      onEventStored: deps.onEventStored,
    }),
  );
  // After the routes above: where paths meet (GET /api/rules), the admin API's own answer stays.
  if (deps.data) router.use('/api', deps.data);
  router.use('/api', (_req: Request, res: Response) =>
    sendError(res, new AutopilotError('AP_NOT_FOUND', 'no such route')),
  );
  return router;
}

async function describeRules(deps: AdminDeps) {
  const snapshot = deps.rules.current;
  const rules = await Promise.all(
    snapshot.rules.map(async (rule) => {
      const [lastFire] = await deps.audit.query({
        ruleId: rule.id,
        kind: 'rule.matched',
        limit: 1,
        order: 'newest',
      });
      const errors = await deps.audit.query({
        ruleId: rule.id,
        kind: ['rule.error', 'run.dead_lettered'],
        limit: 5,
      });
      return {
        id: rule.id,
        description: rule.description,
        enabled: rule.enabled,
        mode: rule.mode,
        version: rule.version,
        file: rule.source.file,
        lastFiredAt: lastFire?.at,
        drift: deps.drift?.(rule.id) ?? null,
        recentErrors: errors.map((e) => ({ at: e.at, kind: e.kind, eventId: e.eventId, detail: e.detail })),
      };
    }),
  );
  const last = deps.rules.lastOutcome;
  return { loadedAt: snapshot.loadedAt, lastReload: last && withLocations(last), rules };
}

/** Each diagnostic also as `file:line:column`, the form editors and terminals jump to. */
export function withLocations(outcome: ReloadOutcome) {
  return {
    ...outcome,
    diagnostics: outcome.diagnostics.map((d) => ({ ...d, location: `${d.file}:${d.line}:${d.column}` })),
  };
}
