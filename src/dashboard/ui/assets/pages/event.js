/**
 * One event's story, from the same record the CLI's `autopilot trace` prints: every candidate
 * rule with each condition (fact value, ✓/✗), the planned calls with their rendered params, each
 * attempt with the API's answer, retries and the outcome.
 */
import { ext, h, link, table, fill } from '../dom.js';
import { json, time } from '../format.js';
import { t } from '../i18n.js';
import { chip, mark, page } from '../ui.js';

const DECISIONS = ['rule.matched', 'rule.not_matched', 'rule.error', 'loop_stopped', 'breaker_open'];

function conditionTable(conditions) {
  if (!Array.isArray(conditions) || conditions.length === 0)
    return h('p', { class: 'muted' }, t('event.noConditions'));
  return table(
    [t('event.condition'), t('event.operator'), t('event.expected'), t('event.actual'), t('event.result')],
    conditions.map((c) =>
      h(
        'tr',
        null,
        h(
          'td',
          null,
          h('code', null, ext([c.fact, c.path].filter(Boolean).join('.'))),
          c.negated ? chip('not') : null,
        ),
        h('td', null, h('code', null, c.operator)),
        h('td', null, h('code', null, ext(json(c.expected, 0)))),
        h('td', null, h('code', null, ext(json(c.actual, 0)))),
        h('td', null, mark(c.outcome === 'needs_live_data' ? undefined : c.outcome)),
      ),
    ),
  );
}

function verdict(decision) {
  if (decision.kind === 'rule.matched') return chip(t('event.matched'), 'good');
  if (decision.kind === 'rule.not_matched') return chip(t('event.notMatched'));
  if (decision.kind === 'rule.error') return chip(t('event.errored'), 'bad');
  return chip(decision.kind, 'bad');
}

function planned(record) {
  const d = record.detail ?? {};
  return h(
    'div',
    { class: 'panel' },
    h('h3', null, t('event.plan', { run: record.runId, mode: d.mode ?? '' })),
    (d.actions ?? []).map((a) =>
      h(
        'div',
        null,
        h('b', null, t('event.action', { n: a.index + 1, type: a.type })),
        a.idempotencyKey ? h('span', { class: 'muted' }, ` X-IDEM-UUID ${a.idempotencyKey}`) : null,
        a.params === undefined
          ? null
          : [h('div', { class: 'muted' }, t('event.params')), h('pre', null, ext(json(a.params)))],
        (a.calls ?? []).map((c) =>
          h(
            'pre',
            null,
            ext(
              `${c.method} ${c.path}${c.query ? `?${new URLSearchParams(c.query)}` : ''}${c.body === undefined ? '' : `\n${json(c.body)}`}`,
            ),
          ),
        ),
        !a.calls && a.planned ? a.planned.map((p) => h('pre', null, p)) : null,
      ),
    ),
  );
}

function step(r) {
  const d = r.detail ?? {};
  const at = h('span', { class: 'muted' }, `${time(r.at)} `);
  const action = r.actionIndex === undefined ? '' : `#${r.actionIndex + 1} `;
  switch (r.kind) {
    case 'action.attempted': {
      const req = d.request ?? {};
      const out = d.outcome ?? {};
      const answer = [
        out.errCode,
        out.errMsg,
        out.logId ? `log_id ${out.logId}` : '',
        out.httpStatus ? `HTTP ${out.httpStatus}` : '',
        out.networkError,
      ]
        .filter((x) => x !== undefined && x !== '')
        .join(' · ');
      return h(
        'li',
        null,
        at,
        action,
        ext(
          t('event.attempt', {
            n: d.attempt,
            request: `${req.method} ${req.path}`,
            outcome: out.class,
            ms: d.durationMs,
            decision: d.decision,
          }),
        ),
        answer ? h('div', { class: out.class === 'ok' ? 'muted' : 'error' }, ext(answer)) : null,
        req.body ? h('pre', null, ext(req.body)) : null,
      );
    }
    case 'action.retry_scheduled':
      return h(
        'li',
        { class: 'warn' },
        at,
        action,
        ext(
          t('event.retry', { at: time(d.retryAt), n: d.attempt, message: d.error?.message ?? d.error?.code }),
        ),
      );
    case 'action.skipped':
      return h('li', null, at, action, ext(t('event.skipped', { reason: d.reason })));
    case 'run.succeeded':
      return h('li', { class: 'ok' }, at, t('event.succeeded', { state: d.state }));
    case 'run.dead_lettered': {
      const e = d.error ?? {};
      const api = [e.errCode, e.errMsg, e.logId ? `log_id ${e.logId}` : '']
        .filter((x) => x !== undefined && x !== '')
        .join(' · ');
      return h(
        'li',
        { class: 'error' },
        at,
        action,
        ext(t('event.dead', { code: e.code ?? '', message: e.message ?? '' })),
        api ? h('div', null, ext(api)) : null,
      );
    }
    case 'run.parked':
      return h('li', { class: 'warn' }, at, action, t('event.parked', { until: time(d.until) }));
    case 'run.woken':
      return h('li', null, at, action, t('event.woken', { reason: d.reason }));
    case 'step.branch':
      return h('li', null, at, action, t('event.branch', { branch: d.branch }));
    case 'step.var':
      return h(
        'li',
        null,
        at,
        action,
        ext(t(d.repeated ? 'event.varRepeated' : 'event.var', { name: d.var, value: json(d.value, 0) })),
      );
    case 'run.shadow':
      return h('li', { class: 'warn' }, at, t('event.shadow'));
    case 'run.requeued':
      return h('li', null, at, t('event.requeued', { by: d.by, plan: d.plan ?? 'original' }));
    case 'run.dropped':
      return h('li', null, at, t('event.dropped', { by: d.by }));
    default:
      return h('li', null, at, h('code', null, r.kind), ' ', ext(json(d, 0)));
  }
}

function ruleSection(ruleId, records, runs) {
  const decisions = records.filter((r) => DECISIONS.includes(r.kind));
  const decision = decisions.at(-1);
  const plans = records.filter((r) => r.kind === 'run.planned');
  const steps = records.filter((r) => !DECISIONS.includes(r.kind) && r.kind !== 'run.planned');
  const run = runs.find((r) => r.run.ruleId === ruleId);
  const d = decision?.detail ?? {};
  const error = d.error ?? (d.code ? { code: d.code, message: d.message } : undefined);
  return h(
    'section',
    { class: 'panel', 'aria-label': ruleId, 'data-rule': ruleId },
    h(
      'h3',
      null,
      link(`/ui/rules/${encodeURIComponent(ruleId)}`, ext(ruleId)),
      ' ',
      decision ? verdict(decision) : null,
    ),
    d.skipped ? h('p', { class: 'warn' }, ext(`${d.skipped.reason}: ${d.skipped.message}`)) : null,
    error ? h('p', { class: 'error' }, ext(`${error.code ?? ''}: ${error.message ?? ''}`)) : null,
    decision && DECISIONS.slice(0, 3).includes(decision.kind) ? conditionTable(d.conditions) : null,
    plans.map(planned),
    steps.length ? h('ol', { class: 'story' }, steps.map(step)) : null,
    run
      ? h(
          'p',
          null,
          chip(run.state, run.state),
          ' ',
          t('event.runNow', { state: run.state, done: run.nextAction, total: run.run.actions.length }),
        )
      : null,
  );
}

export async function render(ctx) {
  const id = ctx.params[0];
  const story = await ctx.api(`/events/${encodeURIComponent(id)}`);
  const draw = (s) => {
    const e = s.event?.event;
    const byRule = new Map();
    for (const r of s.audit) if (r.ruleId) byRule.set(r.ruleId, [...(byRule.get(r.ruleId) ?? []), r]);
    const others = s.audit.filter((r) => !r.ruleId && r.kind !== 'event.processed');
    const name = s.audit.findLast((r) => r.kind === 'event.processed')?.detail?.workItemName;
    return [
      e
        ? h(
            'p',
            null,
            h('code', null, ext(e.type)),
            ' · ',
            ext(e.source),
            e.workItem ? [' · ', ext(`${e.projectKey ?? ''}:${e.workItem.id}`)] : null,
            name === undefined ? null : [' · ', h('b', null, ext(name))],
            h(
              'div',
              { class: 'muted' },
              t('event.received', { at: time(s.event.receivedAt) }),
              ', ',
              s.event.processedAt
                ? t('event.processed', { at: time(s.event.processedAt) })
                : t('event.unprocessed'),
            ),
          )
        : h('p', { class: 'muted' }, t('event.gone')),
      h('h2', null, t('event.candidates')),
      byRule.size
        ? [...byRule.entries()].map(([ruleId, records]) => ruleSection(ruleId, records, s.runs))
        : h('p', { class: 'muted' }, t('event.noCandidates')),
      others.length ? [h('h2', null, t('event.other')), h('ol', { class: 'story' }, others.map(step))] : null,
      e ? h('details', null, h('summary', null, t('event.payload')), h('pre', null, ext(json(e)))) : null,
    ];
  };
  const region = h('div', null, draw(story));
  page(ctx.main, ext(t('event.title', { id })), region);
  return {
    live: async (batch) => {
      if (!batch.some((m) => m.eventIds?.includes(id) || m.type === 'tick')) return;
      fill(region, draw(await ctx.api(`/events/${encodeURIComponent(id)}`)));
    },
  };
}
