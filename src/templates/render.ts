/**
 * Rendering `{{path | formatter}}` templates against the facts of an event. One pass only: a
 * value that itself looks like a template is data, never rendered again. A missing path is an
 * error of the rule (AP_TEMPLATE_MISSING_PATH) unless `default(...)` gives a fallback; it never
 * becomes an empty string sent to the API.
 */
import { AutopilotError } from '../errors.ts';
import { resolvePath } from '../match/resolve-path.ts';
import { FORMATTERS, toText } from './formatters.ts';
import { createParseCache } from './parse-cache.ts';
import { stripPersonMarkers } from './person-markers.ts';
import { parseTemplate, type FormatterName, type TemplatePart } from './parse.ts';

/** Roots a template may read: the facts, `rule`, and `steps` (results of earlier actions). */
export type TemplateContext = Readonly<Record<string, unknown>>;

export interface RenderOptions {
  /**
   * Templates reading any of these roots are left as written, to be rendered later
   * (planning defers `steps`, which only exist at execution time). @defaultValue []
   */
  deferRoots?: readonly string[];
}

/** One cache for the process: rule templates are the same for every event. */
export const templateParseCache = createParseCache(parseTemplate);

function partsOf(text: string): readonly TemplatePart[] {
  return templateParseCache.parts(text);
}

/**
 * Renders one template. A template that is exactly one expression keeps the value's type
 * (a list stays a list); anything else is text.
 */
export function renderTemplate(text: string, context: TemplateContext): unknown {
  const parts = partsOf(text);
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.kind === 'expr') return evaluate(only, context, text);
  return parts
    .map((part) => (part.kind === 'text' ? part.text : toText(evaluate(part, context, text))))
    .join('');
}

/** Renders every string inside params (objects and lists, deeply); other values are kept. */
export function renderParams<T>(params: T, context: TemplateContext, options: RenderOptions = {}): T {
  const defer = options.deferRoots ?? [];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string')
      return defer.length > 0 && readsRoot(value, defer) ? value : renderTemplate(value, context);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(params) as T;
}

/** Whether any template inside `value` reads one of `roots` (e.g. `steps`). */
export function referencesRoot(value: unknown, roots: readonly string[]): boolean {
  if (typeof value === 'string') return readsRoot(value, roots);
  if (Array.isArray(value)) return value.some((v) => referencesRoot(v, roots));
  if (value !== null && typeof value === 'object')
    return Object.values(value).some((v) => referencesRoot(v, roots));
  return false;
}

/** Every root (`work_item`, `steps`, ...) the templates inside `value` read. */
export function rootsRead(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    if (value.includes('{{')) {
      for (const part of partsOf(value)) if (part.kind === 'expr') into.add(part.path.split('.', 1)[0] ?? '');
    }
  } else if (Array.isArray(value)) {
    for (const item of value) rootsRead(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) rootsRead(item, into);
  }
  return into;
}

function readsRoot(text: string, roots: readonly string[]): boolean {
  if (!text.includes('{{')) return false;
  return partsOf(text).some(
    (part) => part.kind === 'expr' && roots.includes(part.path.split('.', 1)[0] ?? ''),
  );
}

function evaluate(
  part: Extract<TemplatePart, { kind: 'expr' }>,
  context: TemplateContext,
  template: string,
): unknown {
  // Data never carries person markers: only the name and mention formatters make them.
  let value = stripPersonMarkers(resolvePath(context, part.path));
  const hasDefault = part.formatters.some((f) => f.name === 'default');
  if (isMissing(value) && !hasDefault) {
    throw new AutopilotError(
      'AP_TEMPLATE_MISSING_PATH',
      `template ${part.raw} refers to '${part.path}', which has no value`,
      {
        path: part.path,
        template,
      },
    );
  }
  for (const formatter of part.formatters) {
    // Formatters other than default pass a missing value on untouched, for a later default to fill.
    if (isMissing(value) && formatter.name !== 'default') continue;
    value = FORMATTERS[formatter.name as FormatterName](value, formatter.args, nowOf(context));
  }
  // `first` of an empty list, or `map` of nothing, gives no value: as a missing path, unless a later default fills it.
  if (isMissing(value)) {
    throw new AutopilotError(
      'AP_TEMPLATE_MISSING_PATH',
      `template ${part.raw} gives no value for '${part.path}'`,
      { path: part.path, template },
    );
  }
  return value;
}

/** The run's time: the `now` fact when rendered with the facts, else the clock. */
function nowOf(context: TemplateContext): number {
  const now = context.now;
  return typeof now === 'number' && Number.isFinite(now) ? now : Date.now();
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}
