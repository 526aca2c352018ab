/** Times, durations and values, in the page's language. */
import { lang, t } from './i18n.js';

export function time(ms) {
  if (ms === undefined || ms === null) return t('common.never');
  return new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
  }).format(new Date(ms));
}

export function ago(ms, now = Date.now()) {
  if (ms === undefined || ms === null) return t('common.never');
  const rtf = new Intl.RelativeTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en', { numeric: 'auto' });
  const seconds = Math.round((ms - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86400), 'day');
}

export function duration(ms) {
  if (!ms) return '0 s';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

/** JSON for reading; undefined shows as a dash. */
export function json(value, indent = 2) {
  if (value === undefined) return '—';
  return JSON.stringify(value, null, indent);
}

export function short(value, max = 80) {
  const text = typeof value === 'string' ? value : json(value, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function number(n) {
  return new Intl.NumberFormat(lang() === 'zh' ? 'zh-CN' : 'en').format(n ?? 0);
}
