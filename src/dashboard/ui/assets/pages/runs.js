/** Runs: by state, the lanes (one per work item, the head runs first), each run's next due time. */
import { query } from '../api.js';
import { ext, fill, h, link, table } from '../dom.js';
import { ago, duration, number, short, time } from '../format.js';
import { t } from '../i18n.js';
import { chip, page, pager, stat } from '../ui.js';

const STATES = ['queued', 'running', 'parked', 'succeeded', 'skipped', 'dead'];
const WAITING = ['queued', 'running', 'parked'];
const LIMIT = 50;

function runRow(r) {
  return h(
    'tr',
    null,
    h('td', null, chip(r.state, r.state), r.mode === 'shadow' ? chip('shadow', 'shadow') : null),
    h('td', null, link(`/ui/rules/${encodeURIComponent(r.ruleId)}`, ext(r.ruleId))),
    h('td', null, link(`/ui/events/${encodeURIComponent(r.eventId)}`, ext(short(r.eventId, 26)))),
    h('td', null, ext(r.lane)),
    h(
      'td',
      null,
      `${r.nextAction}/${r.actions.length} `,
      h('span', { class: 'muted' }, r.actions.join(', ')),
    ),
    h('td', { class: 'num' }, r.attempt),
    h('td', null, WAITING.includes(r.state) ? time(r.runAt) : time(r.updatedAt)),
    h(
      'td',
      { class: r.lastError ? 'error' : '' },
      r.lastError ? ext(`${r.lastError.code}${r.lastError.errCode ? ` ${r.lastError.errCode}` : ''}`) : '',
    ),
  );
}

export async function render(ctx) {
  const state = ctx.query.get('state') ?? '';
  const rule = ctx.query.get('rule') ?? '';
  const lane = ctx.query.get('lane') ?? '';
  const offset = Number(ctx.query.get('offset') ?? 0) || 0;
  const region = h('div');
  const path = (extra) => `/ui/runs${query({ state, rule, lane, ...extra })}`;
  const load = async () => {
    const data = await ctx.api(`/runs/page${query({ state, rule, lane, offset, limit: LIMIT })}`);
    fill(
      region,
      h(
        'div',
        { class: 'stats' },
        stat(t('runs.depth'), number(data.stats.depth)),
        stat(t('runs.parked'), number(data.stats.parked ?? 0)),
        stat(t('runs.dead'), link('/ui/dead-letters', number(data.stats.dead))),
        stat(t('runs.oldest'), duration(data.stats.oldestDueAgeMs)),
      ),
      h(
        'nav',
        { 'aria-label': t('common.state') },
        h(
          'ul',
          { class: 'stats' },
          ['', ...STATES].map((s) =>
            h(
              'li',
              null,
              h(
                'a',
                {
                  href: path({ state: s || undefined, offset: undefined }),
                  'data-nav': true,
                  'aria-current': s === state ? 'page' : undefined,
                },
                s || t('common.all'),
              ),
            ),
          ),
        ),
      ),
      table(
        [
          t('common.state'),
          t('common.rule'),
          t('common.event'),
          t('common.workItem'),
          t('runs.actions'),
          { label: t('runs.attempt'), num: true },
          t('runs.due'),
          t('runs.lastError'),
        ],
        data.items.map(runRow),
        { empty: t('common.none') },
      ),
      pager({
        onPrev:
          offset > 0
            ? () => ctx.navigate(path({ offset: Math.max(0, offset - LIMIT) || undefined }))
            : undefined,
        onNext: data.more ? () => ctx.navigate(path({ offset: offset + LIMIT })) : undefined,
      }),
      offset + LIMIT >= 1000 ? h('p', { class: 'muted' }, t('runs.more')) : null,
      h('h2', null, t('runs.parkedTitle')),
      table(
        [t('runs.wakes'), t('common.rule'), t('common.event'), t('common.workItem'), t('runs.actions')],
        data.parked.map((r) =>
          h(
            'tr',
            null,
            h('td', null, time(r.runAt), ' ', h('span', { class: 'muted' }, `(${ago(r.runAt, data.now)})`)),
            h('td', null, link(`/ui/rules/${encodeURIComponent(r.ruleId)}`, ext(r.ruleId))),
            h('td', null, link(`/ui/events/${encodeURIComponent(r.eventId)}`, ext(short(r.eventId, 26)))),
            h('td', null, ext(r.lane)),
            h(
              'td',
              null,
              `${r.nextAction + 1}/${r.actions.length} `,
              h('span', { class: 'muted' }, r.actions[r.nextAction] ?? ''),
            ),
          ),
        ),
        { empty: t('common.none') },
      ),
      h('h2', null, t('runs.lanes')),
      data.lanes.length
        ? h(
            'div',
            { class: 'grid' },
            data.lanes.map((l) =>
              h(
                'section',
                { class: 'panel', 'aria-label': l.lane },
                h('h3', null, link(path({ lane: l.lane, state: undefined, offset: undefined }), ext(l.lane))),
                h(
                  'ol',
                  null,
                  l.runs.map((r) =>
                    h(
                      'li',
                      null,
                      chip(r.state, r.state),
                      ' ',
                      ext(r.ruleId),
                      ' ',
                      h('span', { class: 'muted' }, `${t('runs.due')} ${time(r.runAt)}`),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('common.none')),
    );
  };
  await load();
  page(ctx.main, t('runs.title'), region);
  return { live: () => load() };
}
