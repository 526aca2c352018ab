import en from './texts-en.js';
import zh from './texts-zh.js';

/** English and Chinese. The browser's language picks one; the switch in the header remembers a choice. */
const TEXTS = { en, zh };

const KEY = 'ap-lang';

export function lang() {
  const chosen = localStorage.getItem(KEY);
  if (chosen === 'en' || chosen === 'zh') return chosen;
  return (navigator.languages ?? [navigator.language]).some((l) => /^zh\b/i.test(l)) ? 'zh' : 'en';
}

export function setLang(value) {
  localStorage.setItem(KEY, value);
  document.documentElement.lang = value === 'zh' ? 'zh-CN' : 'en';
}

export function t(key, vars = {}) {
  const text = TEXTS[lang()][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) =>
    vars[name] === undefined ? `{${name}}` : String(vars[name]),
  );
}

/** Fills `data-i18n` elements of a static page (the login page). */
export function translateStatic(root = document) {
  document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
}
