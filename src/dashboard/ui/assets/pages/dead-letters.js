/**
 * Dead letters: the reason and the API's answer; retry (with the run's own plan, or planned again
 * with the current rule version: the choice is shown), drop, and retry every one the filter
 * selects. Each asks first.
 */
import { query } from '../api.js';
import { ext, fill, h, link, table } from '../dom.js';
import { short, time } from '../format.js';
import { t } from '../i18n.js';
import { confirmAction, field, filterForm, page, pager, toast } from '../ui.js';

const LIMIT = 50;

function answer(e) {
  if (!e) return '';
  return [e.errCode, e.errMsg, e.logId ? `log_id ${e.logId}` : '', e.httpStatus ? `HTTP ${e.httpStatus}` : '']
    .filter((x) => x !== undefined && x !== '')
    .join(' · ');
}

function planChoices(r) {
  const same = r.currentVersion === r.ruleVersion;
  const current =
    r.currentVersion === undefined
      ? t('dead.plan.unavailable')
      : same
        ? t('dead.plan.same')
        : r.currentVersion.slice(0, 12);
  return [
    { value: 'original', label: t('dead.plan.original', { version: r.ruleVersion.slice(0, 12) }) },
    {
      value: 'current',
      label: t('dead.plan.current', { version: current }),
      disabled: r.currentVersion === undefined,
    },
  ];
}

export async function render(ctx) {
  const rule = ctx.query.get('rule') ?? '';
  const error = ctx.query.get('error') ?? '';
  const offset = Number(ctx.query.get('offset') ?? 0) || 0;
  const region = h('div');
  const path = (extra) => `/ui/dead-letters${query({ rule, error, ...extra })}`;

  async function retry(r) {
    const plan = await confirmAction({
      title: t('dead.retryTitle', { id: r.id }),
      body: t('dead.retryBody', { n: r.nextAction + 1, type: r.failedAction ?? '?' }),
      choices: planChoices(r),
      confirmLabel: t('dead.confirmRetry'),
    });
    if (!plan) return;
    try {
      await ctx.api(`/dead-letters/${encodeURIComponent(r.id)}/retry`, { method: 'POST', body: { plan } });
      toast(t('dead.retried', { id: r.id, plan }));
    } catch (e) {
      toast(e.message, 'error');
    }
    await load();
  }

  async function drop(r) {
    const ok = await confirmAction({
      title: t('dead.dropTitle', { id: r.id }),
      body: t('dead.dropBody'),
      confirmLabel: t('dead.confirmDrop'),
      danger: true,
    });
    if (!ok) return;
    try {
      await ctx.api(`/dead-letters/${encodeURIComponent(r.id)}`, { method: 'DELETE' });
      toast(t('dead.dropped', { id: r.id }));
    } catch (e) {
      toast(e.message, 'error');
    }
    await load();
  }

  async function retryAll(total) {
    const plan = await confirmAction({
      title: t('dead.retryAllTitle', { n: total }),
      body: t('dead.retryAllBody', { rule: rule || t('common.all'), error: error || t('common.all') }),
      choices: [
        { value: 'original', label: t('dead.plan.original', { version: '…' }) },
        { value: 'current', label: t('dead.plan.current', { version: '…' }) },
      ],
      confirmLabel: t('dead.confirmRetry'),
    });
    if (!plan) return;
    const result = await ctx.api('/dead-letters/retry', { method: 'POST', body: { rule, error, plan } });
    toast(
      t('dead.retriedMany', { n: result.requeued.length, failed: result.failed.length }),
      result.failed.length ? 'error' : '',
    );
    await load();
  }

  const load = async () => {
    const data = await ctx.api(`/dead-letters/page${query({ rule, error, offset, limit: LIMIT })}`);
    fill(
      region,
      data.total > 0
        ? h(
            'p',
            null,
            h(
              'button',
              { type: 'button', id: 'retry-all', on: { click: () => retryAll(data.total) } },
              t('dead.retryAll', { n: data.total }),
            ),
          )
        : null,
      table(
        [
          t('dead.run'),
          t('common.rule'),
          t('common.event'),
          t('common.workItem'),
          t('dead.failed'),
          t('dead.answer'),
          t('dead.died'),
          t('dead.version'),
          '',
        ],
        data.items.map((r) =>
          h(
            'tr',
            { 'data-run': r.id },
            h('td', null, h('code', null, ext(short(r.id, 20)))),
            h('td', null, link(`/ui/rules/${encodeURIComponent(r.ruleId)}`, ext(r.ruleId))),
            h('td', null, link(`/ui/events/${encodeURIComponent(r.eventId)}`, ext(short(r.eventId, 24)))),
            h('td', null, ext(r.lane)),
            h('td', null, `${r.nextAction + 1}. ${r.failedAction ?? '?'}`),
            h(
              'td',
              { class: 'error' },
              h('div', null, ext(r.lastError?.code ?? '')),
              h('div', null, ext(answer(r.lastError) || r.lastError?.message || '')),
            ),
            h('td', null, time(r.updatedAt)),
            h(
              'td',
              null,
              h('code', null, r.ruleVersion.slice(0, 8)),
              r.currentVersion && r.currentVersion !== r.ruleVersion
                ? h('div', { class: 'warn' }, `→ ${r.currentVersion.slice(0, 8)}`)
                : null,
            ),
            h(
              'td',
              null,
              h('button', { type: 'button', class: 'retry', on: { click: () => retry(r) } }, t('dead.retry')),
              ' ',
              h(
                'button',
                { type: 'button', class: 'drop danger', on: { click: () => drop(r) } },
                t('dead.drop'),
              ),
            ),
          ),
        ),
        { empty: t('dead.empty') },
      ),
      pager({
        onPrev:
          offset > 0
            ? () => ctx.navigate(path({ offset: Math.max(0, offset - LIMIT) || undefined }))
            : undefined,
        onNext:
          offset + LIMIT < data.total ? () => ctx.navigate(path({ offset: offset + LIMIT })) : undefined,
      }),
    );
  };
  await load();
  const rules = (await ctx.api('/rules?limit=200')).items.map((r) => r.id);
  page(
    ctx.main,
    t('dead.title'),
    filterForm(ctx, '/ui/dead-letters', [
      field(
        t('common.rule'),
        h(
          'select',
          { name: 'rule' },
          h('option', { value: '' }, t('common.all')),
          rules.map((r) => h('option', { value: r, selected: r === rule }, r)),
        ),
      ),
      field(
        t('dead.error'),
        h('input', { type: 'search', name: 'error', value: error, placeholder: 'AP_API_PERMANENT / 20006' }),
      ),
    ]),
    region,
  );
  return {
    live: (batch) =>
      batch.some(
        (m) => m.kinds?.['run.dead_lettered'] || m.kinds?.['run.requeued'] || m.kinds?.['run.dropped'],
      ) && load(),
  };
}
