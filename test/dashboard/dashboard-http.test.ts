/**
 * The dashboard's front door over plain HTTP (no browser): login and its cookie, the session
 * guard, CSRF and same-origin checks on every action, the CSP, and the new admin API routes
 * with their clear errors on bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/dashboard-routes.ts';
import { admin } from '../serve/support/admin.ts';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from '../serve/support/engine-harness.ts';
import { startScenario, type Scenario } from './support/scenario.ts';

let s: Scenario;
let url: string;

async function login(token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/ui/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next: '/ui/events?type=work_item.created' }).toString(),
  });
}

async function session(): Promise<{ cookie: string; csrf: string }> {
  const setCookie = (await login()).headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] as string;
  const answer = await fetch(`${url}/ui/api/session`, { headers: { cookie } });
  return { cookie, csrf: ((await answer.json()) as { csrf: string }).csrf };
}

beforeAll(async () => {
  s = await startScenario();
  url = s.t.url;
}, 60_000);
afterAll(async () => {
  await s.t.close();
});

describe('login and the session guard', () => {
  it('sends pages to the login page and answers 401 to the data API without a session', async () => {
    const page = await fetch(`${url}/ui/runs?state=dead`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fruns%3Fstate%3Ddead');
    const data = await fetch(`${url}/ui/api/overview`);
    expect(data.status).toBe(401);
    expect(await data.json()).toMatchObject({ error: { code: 'AP_UNAUTHORIZED' } });
    expect((await fetch(`${url}/ui/login`)).status).toBe(200);
  });

  it('exchanges the admin token for an HttpOnly, SameSite=Strict cookie with an expiry, and goes back', async () => {
    const answer = await login();
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/ui/events?type=work_item.created');
    expect(answer.headers.get('set-cookie')).toMatch(
      /^ap_session=v1\.[\w-]+\.\d+\.[\w-]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=28800$/,
    );
    const { cookie } = await session();
    const page = await fetch(`${url}/ui/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/ui/assets/app.js"></script>');
  });

  it('refuses a wrong token, a login from another site, and a `next` that leaves the dashboard', async () => {
    const wrong = await login('not-the-admin-token');
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toMatch(/^\/ui\/login\?error=token/);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(s.t.logs.some((l) => l.msg === 'dashboard login refused: wrong admin token')).toBe(true);
    expect((await login(ADMIN_TOKEN, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await login(ADMIN_TOKEN, { origin: 'https://evil.example' })).status).toBe(403);
    for (const next of ['//evil.example/', 'https://evil.example/', '/ui/\\evil', '/elsewhere']) {
      const answer = await fetch(`${url}/ui/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: ADMIN_TOKEN, next }).toString(),
      });
      expect(answer.headers.get('location'), next).toBe('/ui/');
    }
  });

  it('ends the session on logout, on the server too', async () => {
    const { cookie, csrf } = await session();
    const out = await fetch(`${url}/ui/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/^ap_session=; .*Max-Age=0/);
    expect((await fetch(`${url}/ui/api/overview`, { headers: { cookie } })).status).toBe(401);
  });

  it('never logs the admin token or a session cookie', async () => {
    const { cookie } = await session();
    const value = cookie.split('=')[1] as string;
    expect(s.t.rawLogs.some((line) => line.includes(ADMIN_TOKEN) || line.includes(value))).toBe(false);
  });
});

describe('CSRF and the CSP', () => {
  it('refuses an action without the CSRF token, with a wrong one, or from another site', async () => {
    const { cookie, csrf } = await session();
    const retry = (headers: Record<string, string>) =>
      fetch(`${url}/ui/api/dead-letters/${s.deadRunId}/retry`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    for (const headers of [
      {},
      { 'x-csrf-token': 'wrong' },
      { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' },
    ] as Array<Record<string, string>>) {
      const answer = await retry(headers);
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ error: { code: 'AP_FORBIDDEN' } });
    }
    expect((await s.t.engine.stores.runs.get(s.deadRunId))?.state).toBe('dead');
    const drop = await fetch(`${url}/ui/api/dead-letters/${s.deadRunId}`, {
      method: 'DELETE',
      headers: { cookie },
    });
    expect(drop.status).toBe(403);
  });

  it('sends a strict Content-Security-Policy with every dashboard answer', async () => {
    const { cookie } = await session();
    for (const path of ['/ui/login', '/ui/', '/ui/assets/app.js', '/ui/api/overview', '/ui/nope']) {
      const answer = await fetch(`${url}${path}`, { headers: { cookie } });
      expect(answer.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
    }
    expect(CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|https?:/);
    expect((await fetch(`${url}/ui/api/nothing`, { headers: { cookie } })).status).toBe(404);
  });
});

describe('admin API: the dashboard routes behind the bearer token', () => {
  const routes = [
    '/api/overview',
    '/api/rules/escalate-p0-bugs',
    '/api/events',
    '/api/runs/page',
    '/api/dead-letters/page',
    '/api/stream',
  ];

  it.each(routes)(
    'GET %s answers 401 without the token, and a session cookie is not a token',
    async (path) => {
      expect((await admin(url, 'GET', path, null)).status).toBe(401);
      const { cookie } = await session();
      expect((await fetch(`${url}${path}`, { headers: { cookie } })).status).toBe(401);
    },
  );

  it('GET /api/events filters and pages; GET /api/events/:id tells the story', async () => {
    const all = await admin(url, 'GET', '/api/events?limit=1');
    const page = all.body as { items: Array<{ eventId: string }>; next: string };
    expect(page.items).toHaveLength(1);
    const older = await admin(url, 'GET', `/api/events?limit=1&before=${encodeURIComponent(page.next)}`);
    expect((older.body as { items: Array<{ eventId: string }> }).items[0]?.eventId).not.toBe(
      page.items[0]?.eventId,
    );
    const failed = await admin(url, 'GET', '/api/events?status=failed');
    expect((failed.body as { items: Array<{ eventId: string }> }).items.map((e) => e.eventId)).toEqual([
      s.events.deploy,
    ]);
    const story = await admin(url, 'GET', `/api/events/${encodeURIComponent(s.events.p2)}`);
    expect((story.body as { audit: Array<{ kind: string }> }).audit.map((r) => r.kind)).toContain(
      'rule.not_matched',
    );
  });

  it('GET /api/overview and /api/rules/:id answer with counts, reloads and the rule file', async () => {
    const overview = (await admin(url, 'GET', '/api/overview')).body as {
      series: { events: number[] };
      reloads: Array<{ ok: boolean }>;
      problems: Array<{ kind: string }>;
    };
    expect(overview.series.events.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
    expect(overview.reloads[0]?.ok).toBe(true);
    expect(overview.problems.map((p) => p.kind)).toContain('run.dead_lettered');
    const rule = (await admin(url, 'GET', '/api/rules/escalate-p0-bugs')).body as {
      yaml: string;
      matches24h: number;
    };
    expect(rule.yaml).toContain('id: escalate-p0-bugs');
    expect(rule.matches24h).toBe(1);
    expect((await admin(url, 'GET', '/api/rules/no-such-rule')).status).toBe(404);
  });

  it.each([
    ['/api/events?limit=0', 'limit must be a whole number from 1 to 200'],
    ['/api/events?status=odd', 'status must be one of matched, unmatched, failed'],
    ['/api/events?before=junk', 'before must be a cursor'],
    ['/api/events?since=yesterday', 'since must be epoch milliseconds or an ISO date-time'],
    ['/api/runs/page?state=parked-forever', 'state must be one of'],
    ['/api/dead-letters/page?offset=-1', 'offset must be a whole number'],
  ])('GET %s is a clear 400', async (path, message) => {
    const answer = await admin(url, 'GET', path);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'AP_BAD_REQUEST',
      message: expect.stringContaining(message),
    });
  });

  it('POST /api/dead-letters/retry retries the filtered set; a bad plan is a 400', async () => {
    const bad = await fetch(`${url}/api/dead-letters/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'whatever' }),
    });
    expect(bad.status).toBe(400);
    await s.deploy('deploy-bulk', { version: '3.0', item: '777777' });
    const answer = await fetch(`${url}/api/dead-letters/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rule: 'comment-on-deploy', error: '30005' }),
    });
    const result = (await answer.json()) as { requeued: string[]; failed: unknown[]; plan: string };
    expect(result).toMatchObject({ plan: 'original', failed: [] });
    expect(result.requeued).toHaveLength(2);
    await s.t.engine.idle();
    const requeued = await s.t.engine.stores.audit.query({ kind: 'run.requeued' });
    expect(requeued.map((r) => r.detail?.by)).toEqual(['admin-api', 'admin-api']);
  });
});

describe('without an admin token', () => {
  let off: TestEngine;
  beforeAll(async () => {
    off = await startTestEngine({ noAdmin: true });
  });
  afterAll(async () => off.close());

  it('there is no dashboard', async () => {
    expect((await fetch(`${off.url}/ui/`)).status).toBe(404);
    expect((await fetch(`${off.url}/ui/login`)).status).toBe(404);
  });
});

describe('config dashboard.secureCookie', () => {
  let secure: TestEngine;
  beforeAll(async () => {
    secure = await startTestEngine({
      configYaml: 'dashboard:\n  secureCookie: true\n  sessionTtlMs: 600000\n',
    });
  });
  afterAll(async () => secure.close());

  it('marks the cookie Secure and sets its lifetime', async () => {
    const answer = await fetch(`${secure.url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${ADMIN_TOKEN}`,
    });
    expect(answer.headers.get('set-cookie')).toMatch(/Max-Age=600; Secure$/);
  });
});
