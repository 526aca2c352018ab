/**
 * Building the page from data without ever parsing data as HTML: elements are created and every
 * text goes in as a text node. Nothing here touches innerHTML (the CSP's Trusted Types rule would
 * refuse it anyway), so a work item called `<img src=x onerror=...>` is shown, never run.
 */
const SVG = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'on') {
      for (const [type, handler] of Object.entries(value)) el.addEventListener(type, handler);
    } else if (name === 'href' && !String(value).startsWith('/ui/')) {
      throw new Error(`links stay inside the dashboard, not ${value}`);
    } else el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** h('a', { href: '/ui/rules', class: 'x' }, 'text', child) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  return append(el, children);
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttributes(el, attrs);
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A link inside the dashboard, followed without reloading the page. */
export function link(path, ...children) {
  return h('a', { href: path, 'data-nav': true }, ...children);
}

/** Text that came from outside (names, ids): isolated so RTL marks cannot flip the page around it. */
export function ext(text) {
  return h('bdi', null, text === undefined || text === null ? '' : String(text));
}

export function table(headers, rows, options = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      options.caption ? h('caption', { class: 'visually-hidden' }, options.caption) : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((hd) => h('th', { scope: 'col', class: hd.num ? 'num' : undefined }, hd.label ?? hd)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.length === 0
          ? h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, options.empty ?? '—'))
          : rows,
      ),
    ),
  );
}

/** Replaces an element's content (lists are flattened, null and false are left out). */
export function fill(el, ...children) {
  return append(clear(el), children);
}
