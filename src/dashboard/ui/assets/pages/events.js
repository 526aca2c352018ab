/** Events: a searchable, filterable stream, newest first, paged on the server; new events arrive live. */
import { query } from '../api.js';
import { ext, h, link, table, fill } from '../dom.js';
import { short, time } from '../format.js';
import { t } from '../i18n.js';
import { chip, field, filterForm, page, pager } from '../ui.js';

const FILTERS = ['q', 'type', 'work_item', 'rule', 'status', 'since', 'until'];

/** datetime-local values are local time; the API takes ISO. */
function iso(local) {
  return local ? new Date(local).toISOString() : undefined;
}

function outcome(e) {
  return [
    e.succeeded ? chip(`✓ ${e.succeeded}`, 'good') : null,
    e.dead ? chip(`✗ ${e.dead}`, 'bad') : null,
    !e.succeeded && !e.dead && e.matchedRules.length === 0 ? h('span', { class: 'muted' }, '—') : null,
  ];
}

function options(values, selected, labels = {}) {
  return [
    h('option', { value: '' }, t('common.all')),
    ...values.map((v) => h('option', { value: v, selected: v === selected }, labels[v] ?? v)),
  ];
}

export async function render(ctx) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) ?? '']));
  const before = ctx.query.get('before') ?? undefined;
  const rules = (await ctx.api('/rules?limit=200')).items.map((r) => r.id);
  const region = h('div');
  const load = async () => {
    const data = await ctx.api(
      `/events${query({ ...filters, since: iso(filters.since), until: iso(filters.until), before, limit: 50 })}`,
    );
    fill(
      region,
      table(
        [
          t('common.time'),
          t('common.type'),
          t('common.workItem'),
          t('events.matched'),
          t('events.outcome'),
          t('common.event'),
        ],
        data.items.map((e) =>
          h(
            'tr',
            null,
            h('td', null, time(e.at)),
            h(
              'td',
              null,
              h('code', null, ext(e.type ?? '?')),
              h('div', { class: 'muted' }, ext(e.source ?? '')),
            ),
            h(
              'td',
              null,
              ext(e.workItem ?? '—'),
              e.workItemName ? h('div', null, ext(e.workItemName)) : null,
            ),
            h(
              'td',
              null,
              e.matchedRules.length
                ? e.matchedRules.map((r) =>
                    h('span', { class: 'chip' }, link(`/ui/rules/${encodeURIComponent(r)}`, ext(r))),
                  )
                : h('span', { class: 'muted' }, t('events.candidates', { n: e.candidates })),
            ),
            h('td', null, outcome(e)),
            h('td', null, link(`/ui/events/${encodeURIComponent(e.eventId)}`, ext(short(e.eventId, 30)))),
          ),
        ),
        { empty: t('common.none'), caption: t('events.title') },
      ),
      pager({
        prevLabel: t('common.newest'),
        nextLabel: t('common.older'),
        onPrev: before ? () => ctx.navigate(`/ui/events${query(filters)}`) : undefined,
        onNext: data.next
          ? () => ctx.navigate(`/ui/events${query({ ...filters, before: data.next })}`)
          : undefined,
      }),
    );
  };
  await load();
  const statuses = ['matched', 'unmatched', 'failed'];
  page(
    ctx.main,
    t('events.title'),
    filterForm(ctx, '/ui/events', [
      field(
        t('events.search'),
        h('input', { type: 'search', name: 'q', value: filters.q, id: 'event-search' }),
      ),
      field(
        t('events.type'),
        h('select', { name: 'type' }, options(ctx.session.eventTypes ?? [], filters.type)),
      ),
      field(
        t('common.workItem'),
        h('input', {
          type: 'text',
          name: 'work_item',
          value: filters.work_item,
          placeholder: 'project:id',
          size: 18,
        }),
      ),
      field(t('events.rule'), h('select', { name: 'rule' }, options(rules, filters.rule))),
      field(
        t('events.status'),
        h(
          'select',
          { name: 'status' },
          options(
            statuses,
            filters.status,
            Object.fromEntries(statuses.map((s) => [s, t(`events.status.${s}`)])),
          ),
        ),
      ),
      field(t('events.since'), h('input', { type: 'datetime-local', name: 'since', value: filters.since })),
      field(t('events.until'), h('input', { type: 'datetime-local', name: 'until', value: filters.until })),
    ]),
    region,
  );
  // Only the newest page grows with new events; an older page stays where the reader is.
  return {
    live: before
      ? undefined
      : (batch) =>
          batch.some(
            (m) =>
              m.kinds?.['event.processed'] || m.kinds?.['run.succeeded'] || m.kinds?.['run.dead_lettered'],
          ) && load(),
  };
}
