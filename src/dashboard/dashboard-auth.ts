/**
 * The dashboard's front door: login (admin token → session cookie), logout, and the guard that
 * every page and dashboard API call passes: a valid session, and for any action a CSRF token and
 * a same-origin request.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { AutopilotError } from '../errors.ts';
import { sendError } from '../ingest/http/http-errors.ts';
import { tokenMatches } from '../ingest/http/token-match.ts';
import { equal, type Session, type Sessions } from './sessions.ts';

export const COOKIE = 'ap_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthDeps {
  adminToken: string;
  sessions: Sessions;
  secureCookie: boolean;
  now: () => number;
  onLogin?: (ok: boolean) => void;
}

declare module 'express-serve-static-core' {
  interface Request {
    dashboardSession?: Session;
  }
}

/** POST /ui/login and POST /ui/logout. */
export function loginRoutes(deps: AuthDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  router.post('/ui/login', form, (req, res) => {
    if (!sameOrigin(req)) return sendError(res, forbidden('login from another site'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const presented = typeof body.token === 'string' ? body.token : undefined;
    const next = safeNext(body.next);
    if (!tokenMatches(presented, [deps.adminToken])) {
      deps.onLogin?.(false);
      res.redirect(303, `/ui/login?error=token${next === '/ui/' ? '' : `&next=${encodeURIComponent(next)}`}`);
      return;
    }
    deps.onLogin?.(true);
    const at = deps.now();
    const { token, session } = deps.sessions.issue(at);
    res.setHeader('Set-Cookie', cookie(token, Math.floor((session.expiresAt - at) / 1000), deps));
    res.redirect(303, next);
  });
  router.post('/ui/logout', requireSession(deps, 'api'), async (req, res) => {
    await deps.sessions.revoke(req.dashboardSession as Session, deps.now());
    res.setHeader('Set-Cookie', cookie('', 0, deps));
    res.json({ ok: true });
  });
  return router;
}

/**
 * Pages without a session go to the login page; API calls get 401. Actions (any method but
 * GET/HEAD) also need the session's CSRF token in `X-CSRF-Token` and a same-origin request.
 */
export function requireSession(deps: Pick<AuthDeps, 'sessions' | 'now'>, kind: 'page' | 'api') {
  return async (req: Request, res: Response, next: NextFunction) => {
    const session = await deps.sessions.verify(readCookie(req, COOKIE), deps.now());
    if (!session) {
      if (kind === 'page') {
        res.redirect(303, `/ui/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      sendError(res, new AutopilotError('AP_UNAUTHORIZED', 'log in to the dashboard first'));
      return;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const presented = req.get('x-csrf-token') ?? '';
      if (!equal(presented, session.csrf)) return sendError(res, forbidden('missing or wrong CSRF token'));
      if (!sameOrigin(req)) return sendError(res, forbidden('action from another site'));
    }
    req.dashboardSession = session;
    next();
  };
}

function forbidden(why: string): AutopilotError {
  return new AutopilotError('AP_FORBIDDEN', `dashboard action refused: ${why}`);
}

/**
 * What browsers say about where a request came from. `Sec-Fetch-Site` cannot be set by a page,
 * so when it is there it decides; else `Origin`; a client that sends neither (curl) is not a
 * browser a cross-site page could drive.
 */
function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = req.get('origin');
  if (origin === undefined) return true;
  const host = req.get('host');
  return origin === `http://${host}` || origin === `https://${host}`;
}

/** Only a path inside the dashboard: never another site (`//evil`, `/\evil`), never a scheme. */
function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !/^\/ui\/[A-Za-z0-9\-._~/?=&%]*$/.test(value) || value.includes('//')) {
    return '/ui/';
  }
  return value;
}

function cookie(value: string, maxAgeSeconds: number, deps: Pick<AuthDeps, 'secureCookie'>): string {
  const parts = [`${COOKIE}=${value}`, 'Path=/ui', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (deps.secureCookie) parts.push('Secure');
  return parts.join('; ');
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
