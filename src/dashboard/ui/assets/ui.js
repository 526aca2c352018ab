/** Pieces every page uses: page headers, pagers, ✓/✗ marks, state chips, confirmations, toasts. */
import { clear, h } from './dom.js';
import { t } from './i18n.js';

export function page(main, title, ...intro) {
  clear(main).append(h('h1', null, title), ...intro);
  return main;
}

/** ✓ true, ✗ false, ? undecided (the condition needed data it did not get). */
export function mark(outcome) {
  if (outcome === true) return h('span', { class: 'mark-yes', 'aria-label': 'true' }, '✓');
  if (outcome === false) return h('span', { class: 'mark-no', 'aria-label': 'false' }, '✗');
  return h('span', { class: 'mark-unknown', 'aria-label': String(outcome) }, '?');
}

export function chip(text, kind) {
  return h('span', { class: `chip ${kind ?? ''}`.trim() }, text);
}

export function stat(label, value) {
  return h('div', { class: 'stat' }, h('span', { class: 'muted' }, label), h('b', null, value));
}

export function pager({ onPrev, onNext, prevLabel = t('common.prev'), nextLabel = t('common.next') }) {
  return h(
    'div',
    { class: 'pager' },
    h('button', { type: 'button', disabled: !onPrev, on: { click: () => onPrev?.() } }, prevLabel),
    h('button', { type: 'button', disabled: !onNext, on: { click: () => onNext?.() } }, nextLabel),
  );
}

/**
 * Asks before acting. `choices` (optional) are radio buttons: [{ value, label, disabled }]; the
 * promise resolves with the chosen value, or undefined when cancelled (Esc, Cancel).
 */
export function confirmAction({ title, body, choices, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const radios = choices?.length
      ? h(
          'fieldset',
          null,
          h('legend', null, t('dead.planLegend')),
          choices.map((c, i) =>
            h(
              'div',
              null,
              h('input', {
                type: 'radio',
                name: 'choice',
                id: `choice-${c.value}`,
                value: c.value,
                checked: i === 0,
                disabled: c.disabled,
              }),
              ' ',
              h('label', { for: `choice-${c.value}` }, c.label),
            ),
          ),
        )
      : null;
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'dialog-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, title),
        h('p', null, body),
        radios,
        h(
          'menu',
          null,
          h('button', { type: 'submit', value: 'cancel' }, t('common.cancel')),
          h(
            'button',
            { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary', id: 'dialog-confirm' },
            confirmLabel,
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      const chosen = dialog.querySelector('input[name=choice]:checked')?.value;
      dialog.remove();
      resolve(ok ? (chosen ?? 'ok') : undefined);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

let toastTimer;
export function toast(text, kind = '') {
  document.querySelector('.toast')?.remove();
  const el = h('div', { class: `toast ${kind}`, role: 'status', 'aria-live': 'polite' }, text);
  document.body.append(el);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.remove(), 6000);
}

/** A query-string form: submitting navigates to the same page with the form's values. */
export function filterForm(ctx, path, fields) {
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    fields,
    h('button', { type: 'submit', class: 'primary' }, t('common.filter')),
    h('button', { type: 'button', on: { click: () => ctx.navigate(path) } }, t('common.reset')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value !== '') params.set(key, String(value));
    const text = params.toString();
    ctx.navigate(text ? `${path}?${text}` : path);
  });
  return form;
}

export function field(label, input) {
  return h('label', null, label, input);
}
