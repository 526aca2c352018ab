/** Overview: activity over 24 h, the queue, rule reloads, the limiter's use, the last errors. */
import { ext, h, link, s, table, fill } from '../dom.js';
import { ago, duration, number, short, time } from '../format.js';
import { t } from '../i18n.js';
import { page, stat } from '../ui.js';

function chart(name, values, hours, kind = '') {
  const max = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const width = 240;
  const bar = width / values.length;
  const label = t('overview.chartLabel', { name, total: number(total) });
  return h(
    'figure',
    { class: 'panel chart' },
    h('figcaption', null, h('b', null, number(total)), ' ', name),
    s(
      'svg',
      { viewBox: `0 0 ${width} 60`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
      s('line', { class: 'axis', x1: 0, y1: 59.5, x2: width, y2: 59.5 }),
      values.map((v, i) =>
        s(
          'rect',
          {
            class: `bar ${kind}`,
            x: i * bar + 1,
            width: bar - 2,
            y: 60 - (v / max) * 58,
            height: (v / max) * 58,
          },
          s('title', null, `${time(hours[i])}: ${v}`),
        ),
      ),
    ),
  );
}

function problemText(r) {
  const d = r.detail ?? {};
  const error = d.error ?? {};
  if (r.kind === 'run.dead_lettered')
    return `${error.code ?? ''} ${error.errCode ?? ''} ${error.errMsg ?? error.message ?? ''}`;
  if (r.kind === 'rule.error') return `${error.code ?? d.code ?? ''} ${error.message ?? d.message ?? ''}`;
  return short(d, 120);
}

export async function render(ctx) {
  const main = ctx.main;
  const region = h('div');
  const draw = (o) => {
    fill(
      region,
      h(
        'div',
        { class: 'grid' },
        chart(t('overview.events'), o.series.events, o.hours),
        chart(t('overview.runs'), o.series.runs, o.hours),
        chart(t('overview.succeeded'), o.series.succeeded, o.hours, 'ok'),
        chart(t('overview.dead'), o.series.dead, o.hours, 'dead'),
      ),
      h('h2', null, t('overview.queue')),
      h(
        'div',
        { class: 'stats' },
        stat(t('overview.depth'), number(o.queue.depth)),
        stat(t('overview.parked'), link('/ui/runs?state=parked', number(o.queue.parked ?? 0))),
        stat(t('overview.deadNow'), link('/ui/dead-letters', number(o.queue.dead))),
        stat(t('overview.oldest'), duration(o.queue.oldestDueAgeMs)),
        stat(t('overview.pending'), number(o.pendingEvents)),
      ),
      h('h2', null, t('overview.reloads')),
      h('p', null, t('overview.loaded', { n: o.rules.loaded, when: ago(o.rules.loadedAt, o.now) })),
      table(
        [t('common.time'), t('common.state'), t('overview.diagnostics')],
        o.reloads.map((r) =>
          h(
            'tr',
            null,
            h('td', null, time(r.at)),
            h(
              'td',
              { class: r.ok ? 'ok' : 'error' },
              r.ok ? t('overview.reloadOk', { n: r.rules }) : t('overview.reloadRefused'),
            ),
            h(
              'td',
              null,
              r.diagnostics.map((d) => h('div', null, h('code', null, d.location), ' ', ext(d.message))),
            ),
          ),
        ),
      ),
      h('h2', null, t('overview.limiter')),
      table(
        [
          t('overview.endpoint'),
          { label: t('overview.lastSecond'), num: true },
          { label: t('overview.lastMinute'), num: true },
          { label: t('overview.waits'), num: true },
        ],
        o.limiter.map((l) =>
          h(
            'tr',
            null,
            h('td', null, h('code', null, l.endpoint)),
            h('td', { class: 'num' }, l.lastSecond),
            h('td', { class: 'num' }, l.lastMinute),
            h('td', { class: 'num' }, l.waits),
          ),
        ),
      ),
      h('h2', null, t('overview.problems')),
      table(
        [t('common.time'), t('common.type'), t('common.rule'), t('common.event'), ''],
        o.problems.map((r) =>
          h(
            'tr',
            null,
            h('td', null, time(r.at)),
            h('td', null, h('code', null, r.kind)),
            h('td', null, r.ruleId ? link(`/ui/rules/${encodeURIComponent(r.ruleId)}`, ext(r.ruleId)) : '—'),
            h(
              'td',
              null,
              r.eventId
                ? link(`/ui/events/${encodeURIComponent(r.eventId)}`, ext(short(r.eventId, 24)))
                : '—',
            ),
            h('td', null, ext(problemText(r))),
          ),
        ),
      ),
    );
  };
  const load = async () => draw(await ctx.api('/overview'));
  await load();
  page(main, t('overview.title'), region);
  return { live: () => load() };
}
