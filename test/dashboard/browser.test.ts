/**
 * The dashboard in a real headless Chromium against a running engine and its simulator: log in
 * and out, every page with the scenario's data, the why-not story, retrying and dropping dead
 * letters, the live stream, a hostile work item name shown as text, Chinese and dark, keyboard.
 * One engine and one browser for the whole file (CI's time budget).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_ON_DEPLOY } from '../serve/support/deploys.ts';
import { ADMIN_TOKEN } from '../serve/support/engine-harness.ts';
import { chromiumPresent, openBrowser, screenshotDir, type TestBrowser } from './support/browser.ts';
import { HOSTILE_NAME, startScenario, type Scenario } from './support/scenario.ts';

if (!chromiumPresent) {
  console.warn(
    'SKIPPED the dashboard browser tests: /usr/bin/chromium is missing (install it: bash scripts/chromium.sh install)',
  );
}

describe.skipIf(!chromiumPresent)('dashboard in Chromium', () => {
  let s: Scenario;
  let b: TestBrowser;
  let page: Page;
  const shots = screenshotDir();
  const open = async (path: string) => {
    await page.goto(`${s.t.url}${path}`);
    await page.locator('main h1').waitFor();
  };
  const shoot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const mainText = async () => (await page.locator('main').textContent()) ?? '';

  beforeAll(async () => {
    s = await startScenario();
    b = await openBrowser();
    page = b.page;
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await s?.t.close();
  });

  it('refuses a wrong token, logs in with the admin token, and sends a logged-out page to the login', async () => {
    await page.goto(`${s.t.url}/ui/events`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.fill('#token', 'not-the-admin-token-but-long-enough-000000');
    await page.click('button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    await shoot('login');
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button[type=submit]');
    // Back where the login interrupted.
    await page.waitForURL(/\/ui\/events$/);
    await page.locator('main h1', { hasText: 'Events' }).waitFor();
    const [cookie] = await b.context.cookies();
    expect(cookie).toMatchObject({ name: 'ap_session', httpOnly: true, sameSite: 'Strict', path: '/ui' });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000);
  });

  it('overview: charts, queue, rule reloads, the limiter and the last errors', async () => {
    await open('/ui/');
    await page.locator('#live.on').waitFor();
    const text = await mainText();
    expect(text).toContain('Events (24 h)');
    expect(text).toContain('loaded 4 rules');
    expect(text).toMatch(/comment\/create/);
    expect(text).toContain('AP_API_PERMANENT');
    expect(await page.locator('main svg rect.bar').count()).toBe(96);
    await shoot('overview');
  });

  it('rules: each rule with mode, trigger and 24 h counts; a rule page with YAML and decisions; shadow would-be calls', async () => {
    await open('/ui/rules');
    const row = page.locator('tr', { hasText: 'escalate-p0-bugs' });
    expect(await row.textContent()).toMatch(/live.*event: work_item\.created/);
    await shoot('rules');
    await row.locator('a').first().click();
    await page.locator('main h1', { hasText: 'escalate-p0-bugs' }).waitFor();
    const text = await mainText();
    expect(text).toContain('transition: { to: in_progress, recheck: true }');
    expect(text).toMatch(/✓\s*rule\.matched/);
    expect(text).toMatch(/✗\s*rule\.not_matched/);
    await shoot('rule');
    await open('/ui/rules/shadow-welcome');
    const shadow = await mainText();
    expect(shadow).toContain('Calls it would have made (shadow)');
    expect(shadow).toMatch(/POST \/open_api\/.*\/comment\/create/);
    expect(shadow).toContain('Welcome, Typo on the settings page');
  });

  it('events: filtered on the server, and the event page tells why a rule did not fire', async () => {
    await open('/ui/events?type=work_item.created');
    expect(await page.locator('main tbody tr').count()).toBe(2);
    await page.fill('#event-search', 'typo');
    await page.selectOption('select[name=rule]', 'escalate-p0-bugs');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/rule=escalate-p0-bugs/);
    await page.locator('main tbody tr').first().waitFor();
    expect(await page.locator('main tbody tr').count()).toBe(1);
    await page.locator('main tbody tr', { hasText: 'Typo on the settings page' }).waitFor();
    await shoot('events');
    await page.locator('main tbody tr', { hasText: 'Typo on the settings page' }).locator('a').last().click();
    const escalate = page.locator('section[data-rule="escalate-p0-bugs"]');
    await escalate.waitFor();
    const story = (await escalate.textContent()) ?? '';
    expect(story).toContain('not matched');
    expect(story).toMatch(/work_item\.fields\.priority\s*equal\s*"P0"\s*"P2"\s*✗/);
    expect(await page.locator('section[data-rule="shadow-welcome"]').textContent()).toContain('MATCHED');
  });

  it('the story of a matched event: planned calls with rendered params, each attempt with the answer', async () => {
    await open(`/ui/events/${encodeURIComponent(s.events.hostile)}`);
    const section = page.locator('section[data-rule="escalate-p0-bugs"]');
    await section.waitFor();
    const text = (await section.textContent()) ?? '';
    expect(text).toContain('MATCHED');
    expect(text).toMatch(/Action 1: comment.*Rendered params/s);
    expect(text).toMatch(/Attempt 1: POST \/open_api\/.*comment\/create → ok .* ⇒ done/);
    expect(text).toMatch(/Run finished: succeeded/);
    await shoot('event');
  });

  it('shows a hostile work item name as text: no markup, no template, RTL marks isolated, nothing runs', async () => {
    for (const path of [
      '/ui/events?type=work_item.created',
      `/ui/events/${encodeURIComponent(s.events.hostile)}`,
    ]) {
      await open(path);
      expect(await mainText()).toContain('<img src=x onerror="window.__pwned=1">{{event.id}}');
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      const isolated = await page.evaluate(
        `[...document.querySelectorAll('main bdi')].some((el) => el.textContent.includes(${JSON.stringify(HOSTILE_NAME)}))`,
      );
      expect(isolated).toBe(true);
    }
    // The page's CSP requires Trusted Types: even a script that tried could not inject HTML.
    const sink = await page.evaluate(`(() => {
      try {
        document.createElement('div').innerHTML = '<b>x</b>';
        return 'allowed';
      } catch {
        return 'refused';
      }
    })()`);
    expect(sink).toBe('refused');
  });

  it('runs: by state, parked runs with their due time, and lanes', async () => {
    await open('/ui/runs');
    const text = await mainText();
    expect(text).toContain('Lanes');
    const parked = await s.t.engine.stores.runs.list({ state: 'parked' });
    expect(parked).toHaveLength(2);
    const parkedTable = page.locator('main table').nth(1);
    expect(await parkedTable.locator('tbody tr', { hasText: 'remind-later' }).count()).toBe(2);
    expect(await parkedTable.textContent()).toContain('(in 24 hours)');
    expect(text).toMatch(/succeeded\s*escalate-p0-bugs/);
    await page.click('main a[href="/ui/runs?state=dead"]');
    await page.waitForURL(/state=dead/);
    await page.locator('main tbody tr', { hasText: 'comment-on-deploy' }).waitFor();
    await shoot('runs');
  });

  it('dead letters: drop after confirming; the live stream brings a new dead letter without reload', async () => {
    await open('/ui/dead-letters');
    await page.locator('#live.on').waitFor();
    expect(await page.locator('main tbody tr[data-run]').count()).toBe(1);
    // A deploy naming a missing item dies; the open page shows it by itself.
    const eventId = await s.deploy('deploy-2', { version: '2.0', item: '888888' });
    const [dead] = await s.t.engine.stores.runs.list({ eventId });
    expect(dead?.state).toBe('dead');
    const row = page.locator(`tr[data-run="${dead?.run.id}"]`);
    await row.waitFor();
    await row.locator('button.drop').click();
    await page.click('#dialog-confirm');
    await row.waitFor({ state: 'detached' });
    expect(await s.t.engine.stores.runs.get(dead?.run.id as string)).toBeUndefined();
  });

  it('dead letters: retry planned again with the current rule version (the choice shown), after confirming', async () => {
    // The rule is fixed (it now names a work item that exists) and reloaded: a new version.
    const target = s.items.p2;
    writeFileSync(
      join(s.t.rulesDir, 'comment-on-deploy.yaml'),
      COMMENT_ON_DEPLOY.replace("'{{event.payload.item}}'", `'${target}'`),
    );
    expect((await s.t.engine.rules.reload()).ok).toBe(true);
    await open('/ui/dead-letters');
    const row = page.locator(`tr[data-run="${s.deadRunId}"]`);
    expect(await row.textContent()).toMatch(/AP_API_PERMANENT.*30005/);
    await shoot('dead-letters');
    await row.locator('button.retry').click();
    const dialog = page.locator('dialog[open]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/own plan \(version \w+\).*current rule version \(\w+\)/s);
    await shoot('dead-letter-retry');
    // Cancel first: nothing happens.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await s.t.engine.stores.runs.get(s.deadRunId))?.state).toBe('dead');
    await row.locator('button.retry').click();
    await page.check('#choice-current');
    await page.click('#dialog-confirm');
    await page.locator('.toast', { hasText: `Requeued ${s.deadRunId} (current)` }).waitFor();
    await s.t.engine.idle();
    const record = await s.t.engine.stores.runs.get(s.deadRunId);
    expect(record?.state).toBe('succeeded');
    const [requeued] = await s.t.engine.stores.audit.query({ runId: s.deadRunId, kind: 'run.requeued' });
    expect(requeued?.detail).toMatchObject({ by: 'dashboard', plan: 'current' });
  });

  it('events: a new event appears live on the open page', async () => {
    await open('/ui/events');
    await page.locator('#live.on').waitFor();
    await s.createBug('Live update arrives', 'P1');
    await page.locator('main tbody tr', { hasText: 'Live update arrives' }).waitFor();
  });

  it('speaks Chinese (switchable) and is readable dark; keyboard reaches everything', async () => {
    await open('/ui/');
    await page.click('#lang');
    await page.locator('main h1', { hasText: '概览' }).waitFor();
    await page.selectOption('#theme', 'dark');
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await shoot('overview-zh-dark');
    await page.click('#lang');
    await page.selectOption('#theme', 'system');
    await open('/ui/');
    // Keyboard: the skip link first, then the pages; Enter follows a link; `/` finds the search.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Events');
    await page.keyboard.press('Enter');
    await page.locator('main h1', { hasText: 'Events' }).waitFor();
    await page.locator('main').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    expect(await page.evaluate('document.activeElement?.id')).toBe('event-search');
  });

  it('logs out: the session ends on the server too', async () => {
    await open('/ui/');
    const [before] = await b.context.cookies();
    await page.click('#logout');
    await page.waitForURL(/\/ui\/login/);
    const replay = await fetch(`${s.t.url}/ui/api/overview`, {
      headers: { cookie: `ap_session=${before?.value}` },
    });
    expect(replay.status).toBe(401);
    expect(b.errors.filter((e) => /Content Security Policy|Trusted Type/i.test(e))).toEqual([]);
  });
});
