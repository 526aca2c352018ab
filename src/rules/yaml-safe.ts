/**
 * Turns rule file text into plain data, refusing what could hurt the engine: oversized files,
 * alias bombs, duplicate keys, keys that reach prototypes, numbers that lose precision.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import type { ErrorCode } from '../errors.ts';

export const MAX_RULE_FILE_BYTES = 1024 * 1024;
export const MAX_ALIAS_COUNT = 100;
export const MAX_NESTING_DEPTH = 64;
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const KEY_AT = /^("[^"\n]*"|'[^'\n]*'|[^:\n,{}]*?)\s*:/;

/** The parser's words, except where they would send a rule author to the library's API. */
function yamlMessage(code: string, message: string, textAtError: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a rule file holds one document; remove the extra --- separator';
  if (code === 'DUPLICATE_KEY') {
    const key = KEY_AT.exec(textAtError)?.[1]?.replace(/^['"]|['"]$/g, '');
    return `duplicate key${key ? ` '${key}'` : ''}: each key may appear once in a map`;
  }
  return message.split('\n')[0] ?? message;
}

export interface YamlIssue {
  /** Character offset in the text. */
  offset: number;
  code: ErrorCode;
  message: string;
}

export interface SafeYaml {
  /** The plain data; undefined when there are issues. */
  value?: unknown;
  doc?: Document;
  lineCounter: LineCounter;
  issues: YamlIssue[];
}

class Refusal extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

export function parseYamlSafely(text: string): SafeYaml {
  const lineCounter = new LineCounter();
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RULE_FILE_BYTES) {
    return { lineCounter, issues: [tooLarge(bytes)] };
  }
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const issues: YamlIssue[] = [...doc.errors, ...doc.warnings].map((e) => ({
    offset: e.pos[0],
    code: 'AP_RULE_YAML',
    message: `YAML: ${yamlMessage(e.code, e.message, text.slice(e.pos[0], e.pos[0] + 200))}`,
  }));
  if (issues.length > 0) return { doc, lineCounter, issues };
  if (doc.contents === null)
    return {
      doc,
      lineCounter,
      issues: [{ offset: 0, code: 'AP_RULE_YAML', message: 'the file has no rule (it is empty)' }],
    };
  const converter = new Converter(doc);
  try {
    const value = converter.convert(doc.contents, 0);
    if (converter.issues.length > 0) return { doc, lineCounter, issues: converter.issues };
    return { value, doc, lineCounter, issues: [] };
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return {
      doc,
      lineCounter,
      issues: [{ offset: error.offset, code: 'AP_RULE_UNSAFE', message: error.message }],
    };
  }
}

export function tooLarge(bytes: number): YamlIssue {
  return {
    offset: 0,
    code: 'AP_RULE_UNSAFE',
    message: `file is ${bytes} bytes; rule files over ${MAX_RULE_FILE_BYTES} bytes (1 MiB) are refused`,
  };
}

/** Builds plain objects and arrays from the YAML tree, counting every alias it expands. */
class Converter {
  readonly issues: YamlIssue[] = [];
  private readonly doc: Document;
  private aliases = 0;

  constructor(doc: Document) {
    this.doc = doc;
  }

  convert(node: unknown, depth: number): unknown {
    const offset = startOf(node);
    if (depth > MAX_NESTING_DEPTH)
      throw new Refusal(`nesting deeper than ${MAX_NESTING_DEPTH} levels is refused`, offset);
    if (isAlias(node)) {
      this.aliases++;
      if (this.aliases > MAX_ALIAS_COUNT) {
        throw new Refusal(
          `more than ${MAX_ALIAS_COUNT} alias expansions (*name); refused as a possible alias bomb`,
          offset,
        );
      }
      return this.convert(node.resolve(this.doc), depth + 1);
    }
    if (isMap(node)) return this.convertMap(node.items, depth);
    if (isSeq(node)) return node.items.map((item) => this.convert(item, depth + 1));
    if (isScalar(node)) return this.convertScalar(node.value, node.source, offset);
    return null;
  }

  private convertMap(pairs: unknown[], depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const keyNode = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.issues.push({
          offset: startOf(pair.key),
          code: 'AP_RULE_YAML',
          message: 'map keys must be plain strings',
        });
        continue;
      }
      const key = String(keyNode.value);
      if (RESERVED_KEYS.has(key)) {
        this.issues.push({
          offset: startOf(pair.key),
          code: 'AP_RULE_UNSAFE',
          message: `the key '${key}' is not allowed`,
        });
        continue;
      }
      // defineProperty keeps even an unexpected key an own data property, never a prototype setter.
      Object.defineProperty(out, key, {
        value: this.convert(pair.value, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  private convertScalar(value: unknown, source: string | undefined, offset: number): unknown {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      this.issues.push({
        offset,
        code: 'AP_RULE_YAML',
        message: `the number ${source ?? value} is too large to be exact; quote it ("${source ?? value}")`,
      });
    }
    return value;
  }
}

function startOf(node: unknown): number {
  return (node as Node | null)?.range?.[0] ?? 0;
}
