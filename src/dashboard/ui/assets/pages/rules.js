/** Rules: each rule with mode, enabled, trigger, last fire, matches and failures over 24 h. */
import { query } from '../api.js';
import { ext, h, link, table, fill } from '../dom.js';
import { ago, number } from '../format.js';
import { t } from '../i18n.js';
import { chip, field, filterForm, page, pager } from '../ui.js';

const LIMIT = 50;

export async function render(ctx) {
  const q = ctx.query.get('q') ?? '';
  const offset = Number(ctx.query.get('offset') ?? 0) || 0;
  const region = h('div');
  const load = async () => {
    const data = await ctx.api(`/rules${query({ q, offset, limit: LIMIT })}`);
    const go = (to) => ctx.navigate(`/ui/rules${query({ q, offset: to || undefined })}`);
    fill(
      region,
      table(
        [
          t('common.rule'),
          t('rules.mode'),
          t('rules.trigger'),
          t('rules.lastFired'),
          { label: t('rules.matches'), num: true },
          { label: t('rules.failures'), num: true },
        ],
        data.items.map((r) =>
          h(
            'tr',
            null,
            h(
              'td',
              null,
              link(`/ui/rules/${encodeURIComponent(r.id)}`, ext(r.id)),
              r.description ? h('div', { class: 'muted' }, ext(r.description)) : null,
            ),
            h('td', null, chip(r.mode, r.mode), r.enabled ? null : chip(t('rules.disabled'), 'bad')),
            h('td', null, h('code', null, ext(r.trigger))),
            h('td', null, ago(r.lastFiredAt, ctx.now)),
            h('td', { class: 'num' }, number(r.matches24h)),
            h('td', { class: `num ${r.failures24h > 0 ? 'error' : ''}` }, number(r.failures24h)),
          ),
        ),
        { empty: t('common.none') },
      ),
      pager({
        onPrev: offset > 0 ? () => go(Math.max(0, offset - LIMIT)) : undefined,
        onNext: offset + LIMIT < data.total ? () => go(offset + LIMIT) : undefined,
      }),
      h(
        'p',
        { class: 'muted' },
        `${Math.min(data.total, offset + 1)}–${Math.min(data.total, offset + LIMIT)} / ${data.total}`,
      ),
    );
  };
  await load();
  page(
    ctx.main,
    t('rules.title'),
    filterForm(ctx, '/ui/rules', [
      field(t('rules.search'), h('input', { type: 'search', name: 'q', value: q })),
    ]),
    region,
  );
  return { live: () => load() };
}
