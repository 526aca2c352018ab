import { AutopilotError } from '../errors.ts';

/** A compiled chat command such as `move {id} to {state}`. */
export interface CommandGrammar {
  /** The first literal word, lower-cased: what the command is called. */
  name: string;
  /** Placeholder names in order. */
  params: string[];
  /** The placeholder values when `text` is this command, else undefined. */
  match(text: string): Record<string, string> | undefined;
}

type Token = { kind: 'word'; word: string } | { kind: 'param'; name: string };

const PARAM = /^\{([a-z_][a-z0-9_]*)\}$/;
const WORD = /^[^\s{}@]+$/;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Compiles a command grammar: literal words and `{param}` placeholders separated by spaces, the
 * first token a literal word (the command's name). A placeholder takes one word, except a
 * placeholder at the very end, which takes the rest of the line. Literals match case-insensitively;
 * extra spaces and leading @mentions in the message are ignored.
 * Throws AutopilotError('AP_RULE_INVALID') for a malformed grammar.
 */
export function compileCommandGrammar(grammar: string): CommandGrammar {
  const tokens = tokenize(grammar);
  const first = tokens[0];
  if (!first || first.kind !== 'word')
    throw invalid(grammar, 'it must start with a literal word, the command name');
  const params = tokens.flatMap((t) => (t.kind === 'param' ? [t.name] : []));
  const repeated = params.find((p, i) => params.indexOf(p) !== i);
  if (repeated) throw invalid(grammar, `placeholder {${repeated}} appears twice`);
  const reserved = params.find((p) => RESERVED.has(p));
  if (reserved) throw invalid(grammar, `{${reserved}} is a reserved name`);
  return { name: first.word, params, match: (text) => matchTokens(tokens, text) };
}

function tokenize(grammar: string): Token[] {
  if (typeof grammar !== 'string' || grammar.trim() === '') throw invalid(String(grammar), 'it is empty');
  return grammar
    .trim()
    .split(/\s+/)
    .map((raw) => {
      const param = PARAM.exec(raw);
      if (param) return { kind: 'param', name: param[1] as string };
      if (WORD.test(raw)) return { kind: 'word', word: raw.toLowerCase() };
      if (raw.includes('{') || raw.includes('}')) {
        throw invalid(
          grammar,
          `'${raw}' is not a placeholder: write {name} alone, name in lower case a-z, 0-9, _`,
        );
      }
      throw invalid(grammar, `'${raw}' cannot be matched (no @ in literal words)`);
    });
}

function matchTokens(tokens: Token[], text: string): Record<string, string> | undefined {
  const words = [...text.matchAll(/\S+/g)];
  let at = 0;
  while (words[at]?.[0].startsWith('@')) at++;
  const args: Record<string, string> = {};
  for (const [i, token] of tokens.entries()) {
    const word = words[at];
    if (!word) return undefined;
    if (token.kind === 'word') {
      if (word[0].toLowerCase() !== token.word) return undefined;
    } else if (i === tokens.length - 1) {
      args[token.name] = text.slice(word.index).trim();
      return args;
    } else {
      args[token.name] = word[0];
    }
    at++;
  }
  return at === words.length ? args : undefined;
}

function invalid(grammar: string, why: string): AutopilotError {
  return new AutopilotError('AP_RULE_INVALID', `invalid command grammar '${grammar}': ${why}`, { grammar });
}
