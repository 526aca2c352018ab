/**
 * The dashboard's data API. One router, mounted twice: under /api behind the admin bearer token
 * (scripts, curl) and under /ui/api behind the dashboard session with CSRF checks (the pages).
 */
import express, { Router, type Request } from 'express';
import { AutopilotError } from '../errors.ts';
import { RUN_STATES, type EventListQuery } from '../store/ports.ts';
import {
  dropDeadLetter,
  listDeadLetters,
  retryDeadLetter,
  retryFiltered,
  type DeadLetterDeps,
  type RetryPlan,
} from './dead-letter-actions.ts';
import type { LiveFeed } from './live-feed.ts';
import {
  eventStory,
  eventsPage,
  overview,
  rulePage,
  rulesPage,
  runsPage,
  type PageDeps,
} from './page-data.ts';

export interface DataDeps extends PageDeps {
  deadLetters: DeadLetterDeps;
  live: LiveFeed;
}

const STATUSES = ['matched', 'unmatched', 'failed'] as const;
const PLANS: readonly RetryPlan[] = ['original', 'current'];

/** `by` names who acts in the audit: `dashboard` or `admin-api`. */
export function dataRoutes(deps: DataDeps, by: string): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  router.get('/overview', async (_req, res) => res.json(await overview(deps)));
  router.get('/rules', async (req, res) =>
    res.json(await rulesPage(deps, { text: text(req, 'q'), ...paging(req, 100) })),
  );
  router.get('/rules/:id', async (req, res) =>
    res.json(await rulePage(deps, String(req.params.id), text(req, 'before'))),
  );
  router.get('/events', async (req, res) => res.json(await eventsPage(deps, eventQuery(req))));
  router.get('/events/:id', async (req, res) => res.json(await eventStory(deps, String(req.params.id))));
  router.get('/runs/page', async (req, res) =>
    res.json(
      await runsPage(deps, {
        state: oneOf(req, 'state', RUN_STATES),
        ruleId: text(req, 'rule'),
        lane: text(req, 'lane'),
        ...paging(req, 50),
      }),
    ),
  );
  router.get('/dead-letters/page', async (req, res) =>
    res.json(
      await listDeadLetters(deps.deadLetters, {
        ruleId: text(req, 'rule'),
        error: text(req, 'error'),
        ...paging(req, 50),
      }),
    ),
  );
  router.post('/dead-letters/retry', json, async (req, res) => {
    const body = bodyOf(req);
    const filter = { ruleId: bodyText(body, 'rule'), error: bodyText(body, 'error') };
    res.json(await retryFiltered(deps.deadLetters, filter, planOf(body), by));
  });
  router.post('/dead-letters/:id/retry', json, async (req, res) =>
    res.json(await retryDeadLetter(deps.deadLetters, String(req.params.id), planOf(bodyOf(req)), by)),
  );
  router.delete('/dead-letters/:id', async (req, res) =>
    res.json(await dropDeadLetter(deps.deadLetters, String(req.params.id), by)),
  );
  router.get('/stream', (req, res) => deps.live.stream(req, res));
  return router;
}

function eventQuery(req: Request): EventListQuery {
  const q: EventListQuery = { limit: integer(req, 'limit', 50, 1, 200) };
  const set = <K extends keyof EventListQuery>(key: K, value: EventListQuery[K] | undefined) => {
    if (value !== undefined) q[key] = value;
  };
  set('type', text(req, 'type'));
  set('workItem', text(req, 'work_item'));
  set('ruleId', text(req, 'rule'));
  set('text', text(req, 'q'));
  set('status', oneOf(req, 'status', STATUSES));
  set('since', time(req, 'since'));
  set('until', time(req, 'until'));
  const before = text(req, 'before');
  if (before !== undefined && !/^\d{1,16}:.+$/.test(before)) throw bad('before must be a cursor from `next`');
  set('before', before);
  return q;
}

function bad(message: string): AutopilotError {
  return new AutopilotError('AP_BAD_REQUEST', message);
}

function text(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 500)
    throw bad(`${name} must be one text of at most 500 characters`);
  return value;
}

function integer(req: Request, name: string, fallback: number, min: number, max: number): number {
  const raw = text(req, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw bad(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function paging(req: Request, limit: number): { offset: number; limit: number } {
  return { offset: integer(req, 'offset', 0, 0, 999), limit: integer(req, 'limit', limit, 1, 200) };
}

/** Epoch ms or an ISO date-time. */
function time(req: Request, name: string): number | undefined {
  const raw = text(req, name);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isSafeInteger(value)) throw bad(`${name} must be epoch milliseconds or an ISO date-time`);
  return value;
}

function oneOf<T extends string>(req: Request, name: string, allowed: readonly T[]): T | undefined {
  const value = text(req, name);
  if (value !== undefined && !allowed.includes(value as T))
    throw bad(`${name} must be one of ${allowed.join(', ')}`);
  return value as T | undefined;
}

function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body))) {
    return (body ?? {}) as Record<string, unknown>;
  }
  throw bad('the body must be a JSON object');
}

function bodyText(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw bad(`${name} must be a text`);
  return value;
}

function planOf(body: Record<string, unknown>): RetryPlan {
  const plan = bodyText(body, 'plan') ?? 'original';
  if (!PLANS.includes(plan as RetryPlan)) throw bad(`plan must be one of ${PLANS.join(', ')}`);
  return plan as RetryPlan;
}
