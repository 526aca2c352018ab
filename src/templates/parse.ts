/**
 * The template grammar: text with `{{ path | formatter | formatter("arg") }}` look-ups.
 * Parsing only; nothing in a template is ever evaluated as code. The renderer
 * (src/templates/render.ts) walks the parts this module produces.
 */
import { AutopilotError } from '../errors.ts';
import { parseDuration } from '../rules/duration.ts';
import { isTimeZone } from '../rules/time-zone.ts';

export type TemplatePart =
  { kind: 'text'; text: string } | { kind: 'expr'; path: string; formatters: FormatterCall[]; raw: string };

export interface FormatterCall {
  name: string;
  args: string[];
}

export const FORMATTER_NAMES = [
  'default',
  'join',
  'date',
  'json',
  'upper',
  'lower',
  'name',
  'mention',
  'plus',
  'minus',
  'times',
  'add',
  'days_since',
  'size',
  'first',
  'last',
  'map',
] as const;
export type FormatterName = (typeof FORMATTER_NAMES)[number];

/** How many arguments each formatter takes: `default("none")`, `join(", ")`, `date("YYYY-MM-DD", "Asia/Shanghai")`. */
export const FORMATTER_ARITY: Readonly<Record<FormatterName, { min: number; max: number }>> = {
  default: { min: 1, max: 1 },
  join: { min: 0, max: 1 },
  date: { min: 0, max: 2 },
  json: { min: 0, max: 0 },
  upper: { min: 0, max: 0 },
  lower: { min: 0, max: 0 },
  name: { min: 0, max: 0 },
  mention: { min: 0, max: 0 },
  plus: { min: 1, max: 1 },
  minus: { min: 1, max: 1 },
  times: { min: 1, max: 1 },
  add: { min: 1, max: 1 },
  days_since: { min: 0, max: 0 },
  size: { min: 0, max: 0 },
  first: { min: 0, max: 0 },
  last: { min: 0, max: 0 },
  map: { min: 1, max: 1 },
};

/** A number argument: `plus(2)`, `times("1.5")`. */
export const NUMBER_ARGUMENT = /^-?\d+(?:\.\d+)?$/;

/** What is wrong with a formatter's argument, checked when the template is parsed (so by `autopilot check`). */
function argumentProblem(name: FormatterName, args: readonly string[]): string | undefined {
  const [arg = ''] = args;
  if ((name === 'plus' || name === 'minus' || name === 'times') && !NUMBER_ARGUMENT.test(arg))
    return `formatter '${name}' takes a number, got '${clip(arg)}'`;
  if (name === 'add') {
    try {
      parseDuration(arg.startsWith('-') ? arg.slice(1) : arg);
    } catch {
      return `formatter 'add' takes a duration such as "2d", "1h30m" or "-1h", got '${clip(arg)}'`;
    }
  }
  if (name === 'date' && args[1] !== undefined && !isTimeZone(args[1]))
    return `formatter 'date' takes an IANA time zone such as "Asia/Shanghai", got '${clip(args[1])}'`;
  if (name === 'map') {
    const problem = pathProblem(arg);
    if (problem) return `formatter 'map' takes a key path: ${problem}`;
  }
  return undefined;
}

/** Path segments that could reach an object's prototype: never valid. */
export const RESERVED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const SEGMENT = /^[\p{L}\p{N}_-]+$/u;

/**
 * Splits a dotted path (`work_item.fields.priority`, `current_nodes.0.id`) into its segments.
 * Throws AutopilotError('AP_TEMPLATE_INVALID') for an empty or reserved segment.
 */
export function parsePath(path: string): string[] {
  const problem = pathProblem(path);
  if (problem) throw new AutopilotError('AP_TEMPLATE_INVALID', `invalid path: ${problem}`, { path });
  return path.split('.');
}

function pathProblem(path: string): string | undefined {
  for (const segment of path.split('.')) {
    if (segment === '') return `'${clip(path)}' has an empty segment`;
    if (!SEGMENT.test(segment))
      return `'${clip(path)}' has an invalid segment '${clip(segment)}' (letters, digits, _ and - only)`;
    if (RESERVED_SEGMENTS.has(segment)) return `'${clip(path)}' uses the reserved name '${segment}'`;
  }
  return undefined;
}

/** Text quoted in an error message is shortened: a message never carries a whole hostile value. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * Parses a template into text and expression parts. Throws AP_TEMPLATE_INVALID with the offset.
 * Linear in time and memory: text between look-ups is sliced out whole (a 150 KB value built a
 * character at a time was a rope of 150,000 pieces, megabytes for one string).
 */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  // Text pieces of the current literal: more than one only around escaped braces.
  let literal: string[] = [];
  const flush = () => {
    if (literal.length > 0) parts.push({ kind: 'text', text: literal.join('') });
    literal = [];
  };
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      literal.push(text.slice(i));
      break;
    }
    // `\{{` is a literal `{{`, unless that backslash already belongs to text before `i`.
    if (open > i && text.charCodeAt(open - 1) === 0x5c) {
      literal.push(text.slice(i, open - 1), '{{');
      i = open + 2;
      continue;
    }
    if (open > i) literal.push(text.slice(i, open));
    const end = text.indexOf('}}', open + 2);
    if (end < 0) throw templateError(`'{{' at offset ${open} is never closed with '}}'`, open);
    flush();
    parts.push(parseExpression(text.slice(open, end + 2), open));
    i = end + 2;
  }
  flush();
  return parts;
}

/** Every path the template looks up, in order. */
export function templatePaths(text: string): string[] {
  return parseTemplate(text).flatMap((part) => (part.kind === 'expr' ? [part.path] : []));
}

function parseExpression(raw: string, offset: number): TemplatePart {
  const scanner = new Scanner(raw.slice(2, -2), offset + 2);
  scanner.skipSpace();
  const path = scanner.take(/[^\s|]+/y);
  if (!path) throw templateError(`empty expression '${clip(raw)}' at offset ${offset}`, offset);
  const problem = pathProblem(path);
  if (problem) throw templateError(`path ${problem} at offset ${offset}`, offset);
  const formatters: FormatterCall[] = [];
  scanner.skipSpace();
  while (!scanner.done()) {
    scanner.expect('|');
    formatters.push(parseFormatter(scanner));
    scanner.skipSpace();
  }
  return { kind: 'expr', path, formatters, raw };
}

function parseFormatter(scanner: Scanner): FormatterCall {
  scanner.skipSpace();
  const at = scanner.offset();
  const name = scanner.take(/[A-Za-z_]\w*/y);
  if (!name) throw templateError(`expected a formatter name after '|' at offset ${at}`, at);
  if (!(FORMATTER_NAMES as readonly string[]).includes(name)) {
    throw templateError(
      `unknown formatter '${clip(name)}' at offset ${at} (known: ${FORMATTER_NAMES.join(', ')})`,
      at,
    );
  }
  scanner.skipSpace();
  const args = scanner.peek('(') ? parseArgs(scanner) : [];
  const { min, max } = FORMATTER_ARITY[name as FormatterName];
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw templateError(
      `formatter '${name}' takes ${expected} argument(s), got ${args.length}, at offset ${at}`,
      at,
    );
  }
  const problem = argumentProblem(name as FormatterName, args);
  if (problem) throw templateError(`${problem}, at offset ${at}`, at);
  return { name, args };
}

function parseArgs(scanner: Scanner): string[] {
  scanner.expect('(');
  const args: string[] = [];
  scanner.skipSpace();
  if (scanner.peek(')')) return (scanner.expect(')'), args);
  for (;;) {
    scanner.skipSpace();
    args.push(parseArg(scanner));
    scanner.skipSpace();
    if (scanner.peek(')')) return (scanner.expect(')'), args);
    scanner.expect(',');
  }
}

function parseArg(scanner: Scanner): string {
  const at = scanner.offset();
  const quoted = scanner.take(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/y);
  if (quoted) return quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  const bare = scanner.take(/-?\d+(?:\.\d+)?|true|false|null/y);
  if (bare) return bare;
  throw templateError(`expected a quoted string or a number as formatter argument at offset ${at}`, at);
}

/** A cursor over an expression's inner text that reports offsets in the whole template. */
class Scanner {
  private readonly text: string;
  private readonly base: number;
  private pos = 0;

  constructor(text: string, base: number) {
    this.text = text;
    this.base = base;
  }

  offset(): number {
    return this.base + this.pos;
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (/\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  peek(literal: string): boolean {
    return this.text.startsWith(literal, this.pos);
  }

  expect(literal: string): void {
    if (!this.peek(literal)) {
      const found = this.done() ? 'the end' : `'${this.text[this.pos]}'`;
      throw templateError(
        `expected '${literal}' but found ${found} at offset ${this.offset()}`,
        this.offset(),
      );
    }
    this.pos += literal.length;
  }

  take(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }
}

function templateError(message: string, offset: number): AutopilotError {
  return new AutopilotError('AP_TEMPLATE_INVALID', `invalid template: ${message}`, { offset });
}
