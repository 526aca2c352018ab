/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work
 * here): one browser per test file, a fresh profile directory each time.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumPresent = existsSync(CHROMIUM);

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Every console error and uncaught page error so far (a CSP violation shows up here). */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(options: { locale?: string } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'autopilot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 860 },
    locale: options.locale ?? 'en-GB',
    timezoneId: 'Asia/Shanghai',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots go to `$DASHBOARD_SCREENSHOTS` (`npm run screenshots` sets docs/dashboard, which
 * the README shows) or to a temp dir, so a plain `npm test` leaves the tree clean.
 */
export function screenshotDir(): string {
  const dir = process.env.DASHBOARD_SCREENSHOTS
    ? resolve(process.env.DASHBOARD_SCREENSHOTS)
    : mkdtempSync(join(tmpdir(), 'autopilot-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}
