/** One rule: its YAML, 24 h counts, recent decisions, and for shadow rules the calls it would have made. */
import { query } from '../api.js';
import { ext, h, link, table, fill } from '../dom.js';
import { ago, json, number, short, time } from '../format.js';
import { t } from '../i18n.js';
import { chip, page, pager, stat } from '../ui.js';

const VERDICTS = { 'rule.matched': true, 'rule.not_matched': false };

function wouldBe(records) {
  return h(
    'ol',
    { class: 'story' },
    records.map((r) =>
      h(
        'li',
        null,
        h(
          'div',
          null,
          time(r.at),
          ' · ',
          link(`/ui/events/${encodeURIComponent(r.eventId)}`, ext(r.eventId)),
          ' · ',
          ext(r.workItem ?? ''),
        ),
        (r.detail?.actions ?? []).map((a) =>
          h(
            'div',
            null,
            h('b', null, `${a.index + 1}. ${a.type}`),
            (a.calls ?? []).map((c) =>
              h('pre', null, `${c.method} ${c.path}${c.body === undefined ? '' : `\n${json(c.body)}`}`),
            ),
            a.calls ? null : h('pre', null, json(a.params)),
          ),
        ),
      ),
    ),
  );
}

export async function render(ctx) {
  const id = ctx.params[0];
  const before = ctx.query.get('before') ?? undefined;
  const region = h('div');
  const load = async () => {
    const r = await ctx.api(`/rules/${encodeURIComponent(id)}${query({ before })}`);
    fill(
      region,
      r.description ? h('p', null, ext(r.description)) : null,
      h(
        'p',
        null,
        chip(r.mode, r.mode),
        r.enabled ? chip(t('rules.enabled'), 'good') : chip(t('rules.disabled'), 'bad'),
        ' ',
        h('code', null, ext(r.trigger)),
      ),
      h(
        'div',
        { class: 'stats' },
        stat(t('rules.lastFired'), ago(r.lastFiredAt, ctx.now)),
        stat(t('rules.matches'), number(r.matches24h)),
        stat(t('rule.notMatched'), number(r.notMatched24h)),
        stat(t('rules.failures'), number(r.failures24h)),
        stat(t('rule.version'), h('code', null, r.version.slice(0, 12))),
      ),
      r.mode === 'shadow'
        ? [
            h('h2', null, t('rule.wouldBe')),
            r.wouldBe.length ? wouldBe(r.wouldBe) : h('p', { class: 'muted' }, t('common.none')),
          ]
        : null,
      h('h2', null, t('rule.decisions')),
      table(
        [t('common.time'), t('rule.decision'), t('common.event'), t('common.workItem'), ''],
        r.decisions.items.map((d) =>
          h(
            'tr',
            null,
            h('td', null, time(d.at)),
            h(
              'td',
              null,
              d.kind in VERDICTS
                ? h(
                    'span',
                    { class: VERDICTS[d.kind] ? 'mark-yes' : 'mark-no' },
                    VERDICTS[d.kind] ? '✓ ' : '✗ ',
                  )
                : null,
              h('code', null, d.kind),
            ),
            h(
              'td',
              null,
              d.eventId
                ? link(`/ui/events/${encodeURIComponent(d.eventId)}`, ext(short(d.eventId, 28)))
                : '—',
            ),
            h('td', null, ext(d.workItem ?? '—')),
            h(
              'td',
              { class: 'muted' },
              d.detail?.error ? ext(`${d.detail.error.code ?? ''} ${d.detail.error.message ?? ''}`) : null,
            ),
          ),
        ),
        { empty: t('common.none') },
      ),
      pager({
        prevLabel: t('common.newest'),
        nextLabel: t('common.older'),
        onPrev: before ? () => ctx.navigate(`/ui/rules/${encodeURIComponent(id)}`) : undefined,
        onNext: r.decisions.next
          ? () => ctx.navigate(`/ui/rules/${encodeURIComponent(id)}${query({ before: r.decisions.next })}`)
          : undefined,
      }),
      h('h2', null, t('rule.yaml'), ' ', h('small', { class: 'muted' }, h('code', null, ext(r.file)))),
      h('pre', null, h('code', null, r.yaml)),
    );
  };
  await load();
  page(ctx.main, ext(id), region);
  return { live: before ? undefined : (batch) => batch.some((m) => m.ruleIds?.includes(id)) && load() };
}
