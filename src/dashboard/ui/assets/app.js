/**
 * The dashboard's shell: header (pages, language, theme, live status, log out), a router over
 * the History API (every page has its own URL, filters in the query), and the live stream that
 * tells the page on screen to refresh.
 */
import { api, logout, startSession } from './api.js';
import { clear, h } from './dom.js';
import { lang, setLang, t } from './i18n.js';
import * as overview from './pages/overview.js';
import * as rules from './pages/rules.js';
import * as rule from './pages/rule.js';
import * as events from './pages/events.js';
import * as event from './pages/event.js';
import * as runs from './pages/runs.js';
import * as deadLetters from './pages/dead-letters.js';

const ROUTES = [
  { pattern: /^\/ui\/$/, page: overview, nav: 'overview' },
  { pattern: /^\/ui\/rules$/, page: rules, nav: 'rules' },
  { pattern: /^\/ui\/rules\/([^/]+)$/, page: rule, nav: 'rules' },
  { pattern: /^\/ui\/events$/, page: events, nav: 'events' },
  { pattern: /^\/ui\/events\/([^/]+)$/, page: event, nav: 'events' },
  { pattern: /^\/ui\/runs$/, page: runs, nav: 'runs' },
  { pattern: /^\/ui\/dead-letters$/, page: deadLetters, nav: 'deadLetters' },
];
const NAV = [
  ['overview', '/ui/'],
  ['rules', '/ui/rules'],
  ['events', '/ui/events'],
  ['runs', '/ui/runs'],
  ['deadLetters', '/ui/dead-letters'],
];
const THEMES = ['system', 'light', 'dark'];

let current = { live: undefined };
let session = {};
let liveDot;

function applyTheme() {
  const theme = localStorage.getItem('ap-theme') ?? 'system';
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  return theme;
}

function drawChrome(active) {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  const nav = clear(document.getElementById('nav'));
  nav.setAttribute('aria-label', t('nav.label'));
  nav.append(
    h(
      'ul',
      null,
      NAV.map(([key, path]) =>
        h(
          'li',
          null,
          h(
            'a',
            { href: path, 'data-nav': true, 'aria-current': key === active ? 'page' : undefined },
            t(`nav.${key}`),
          ),
        ),
      ),
    ),
  );
  const theme = applyTheme();
  const tools = clear(document.getElementById('tools'));
  liveDot = h(
    'span',
    { class: 'live-dot off', role: 'status', 'aria-live': 'polite', id: 'live' },
    t('live.off'),
  );
  const themeSelect = h(
    'select',
    {
      'aria-label': t('tools.theme'),
      id: 'theme',
      on: {
        change: (e) => {
          localStorage.setItem('ap-theme', e.target.value);
          applyTheme();
        },
      },
    },
    THEMES.map((name) => h('option', { value: name, selected: name === theme }, t(`tools.theme.${name}`))),
  );
  tools.append(
    liveDot,
    themeSelect,
    h(
      'button',
      {
        type: 'button',
        id: 'lang',
        on: {
          click: () => {
            setLang(lang() === 'zh' ? 'en' : 'zh');
            render();
          },
        },
      },
      t('tools.lang'),
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'logout',
        on: {
          click: async () => {
            await logout();
            location.assign('/ui/login');
          },
        },
      },
      t('tools.logout'),
    ),
  );
  setLive(liveState);
}

let liveState = false;
function setLive(on) {
  liveState = on;
  if (!liveDot) return;
  liveDot.className = `live-dot ${on ? 'on' : 'off'}`;
  liveDot.textContent = t(on ? 'live.on' : 'live.off');
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render({ focus: true });
}

async function render({ focus = false } = {}) {
  const path = location.pathname;
  const route = ROUTES.find((r) => r.pattern.test(path)) ?? ROUTES[0];
  const params = (path.match(route.pattern) ?? []).slice(1).map(decodeURIComponent);
  drawChrome(route.nav);
  const main = clear(document.getElementById('main'));
  main.append(h('p', { class: 'muted' }, t('common.loading')));
  const ctx = {
    main,
    params,
    query: new URLSearchParams(location.search),
    navigate,
    api,
    session,
    now: Date.now(),
  };
  current = { live: undefined };
  try {
    current = (await route.page.render(ctx)) ?? { live: undefined };
  } catch (error) {
    clear(main).append(
      h('h1', null, t(`nav.${route.nav}`)),
      h('p', { class: 'error', role: 'alert' }, t('common.error', { message: error.message })),
    );
  }
  document.title = `${main.querySelector('h1')?.textContent ?? ''} · fp-autopilot`;
  if (focus) main.focus();
}

/** Live updates: each page says what it does with them; refreshes are at most one a second. */
function connectLive() {
  const source = new EventSource('/ui/api/stream');
  let timer;
  let pending = [];
  const deliver = (message) => {
    pending.push(message);
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const batch = pending;
      pending = [];
      current.live?.(batch);
    }, 1000);
  };
  source.addEventListener('open', () => setLive(true));
  source.addEventListener('error', () => setLive(false));
  source.addEventListener('hello', () => setLive(true));
  source.addEventListener('audit', (e) => deliver({ type: 'audit', ...JSON.parse(e.data) }));
  source.addEventListener('tick', (e) => deliver({ type: 'tick', ...JSON.parse(e.data) }));
}

document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render({ focus: true }));
// `/` jumps to the page's search box, as in most consoles.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
  const search = document.querySelector('main input[type=search]');
  if (search) {
    e.preventDefault();
    search.focus();
  }
});

session = await startSession();
await render();
connectLive();
