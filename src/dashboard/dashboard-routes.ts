/**
 * The dashboard at /ui/: plain HTML, CSS and ES modules served from src/dashboard/ui/ as they are
 * (no build step, no CDN), the login page, the pages behind the session, and the data API under
 * /ui/api. Every answer carries a strict Content-Security-Policy: scripts and styles only from
 * these files, no inline code, Trusted Types required, no framing.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { fileURLToPath } from 'node:url';
import { AutopilotError } from '../errors.ts';
import { sendError } from '../ingest/http/http-errors.ts';
import { COOKIE, loginRoutes, readCookie, requireSession, type AuthDeps } from './dashboard-auth.ts';
import { dataRoutes, type DataDeps } from './data-routes.ts';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Pages the single-page app draws; each is index.html, the script reads the path. */
const PAGES = [
  '/ui/',
  '/ui/rules',
  '/ui/rules/:id',
  '/ui/events',
  '/ui/events/:id',
  '/ui/runs',
  '/ui/dead-letters',
];

export interface DashboardDeps {
  auth: AuthDeps;
  data: DataDeps;
  /** What the events page offers as type filters: the engine's types and the configured webhooks'. */
  eventTypes: readonly string[];
}

export function dashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  router.use('/ui', securityHeaders);
  // Express matches `/ui` and `/ui/` alike (non-strict routing): only the bare one is redirected.
  router.get('/ui', (req, res, next) => (req.originalUrl === '/ui' ? res.redirect(308, '/ui/') : next()));
  router.get('/ui/login', async (req, res) => {
    const session = await deps.auth.sessions.verify(readCookie(req, COOKIE), deps.auth.now());
    if (session) return res.redirect(303, '/ui/');
    res.sendFile('login.html', { root: UI_DIR, headers: { 'Cache-Control': 'no-store' } });
  });
  router.use(loginRoutes(deps.auth));
  router.use('/ui/assets', express.static(`${UI_DIR}assets`, { index: false, redirect: false, maxAge: 0 }));
  router.get('/ui/api/session', requireSession(deps.auth, 'api'), (req, res) => {
    const session = req.dashboardSession;
    res.json({ csrf: session?.csrf, expiresAt: session?.expiresAt, eventTypes: deps.eventTypes });
  });
  router.use('/ui/api', requireSession(deps.auth, 'api'), dataRoutes(deps.data, 'dashboard'));
  router.get(PAGES, requireSession(deps.auth, 'page'), (_req, res) =>
    res.sendFile('index.html', { root: UI_DIR, headers: { 'Cache-Control': 'no-store' } }),
  );
  router.use('/ui', (_req: Request, res: Response) =>
    sendError(res, new AutopilotError('AP_NOT_FOUND', 'no such dashboard page')),
  );
  return router;
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  next();
}
