/**
 * Card files of `message` actions (`card_file: cards/p0-bug.json`, relative to the rule file):
 * read when the rules load, checked as Lark card JSON with every problem at the card file's
 * line and column (syntax, structure, templates), and kept in the rule so a run never reads a
 * file. The card's content is part of the rule's version, like everything else the rule says.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseLossless } from 'lossless-json';
import { LineCounter, parseDocument } from 'yaml';
import { cardIssues } from '../actions/card-shape.ts';
import { checkTemplates } from './check-steps.ts';
import { byPosition, type RuleDiagnostic, type RuleIssue } from './diagnostic.ts';
import { locate, position } from './locate.ts';
import { ruleVersion } from './normalize-rule.ts';
import { isCommandTrigger, type ActionSpec, type Rule } from './rule.ts';

/** A card is at most 30 KB for Lark; a file much larger is a mistake, not a card. */
const MAX_CARD_FILE_BYTES = 256 * 1024;

type Locate = (path: (string | number)[]) => { line: number; column: number };

export async function loadCardFiles(
  rule: Rule,
  ruleFile: string,
  cwd: string,
  inRule: Locate,
): Promise<{ rule?: Rule; diagnostics: RuleDiagnostic[] }> {
  const diagnostics: RuleDiagnostic[] = [];
  const earlier = new Set<string>();
  const steps: ActionSpec[] = [];
  for (const [index, spec] of rule.do.entries()) {
    const file = spec.type === 'message' ? spec.params.card_file : undefined;
    if (typeof file === 'string') {
      const at = ['do', index, 'message', 'card_file'];
      const loaded = await loadCard(file, ruleFile, cwd, { earlier, hasCommand: isCommandTrigger(rule.on) });
      if ('card' in loaded) steps.push({ ...spec, params: { ...spec.params, card_template: loaded.card } });
      else {
        steps.push(spec);
        diagnostics.push(
          ...loaded.diagnostics.map((d) => (d.file === '' ? { ...d, file: ruleFile, ...inRule(at) } : d)),
        );
      }
    } else steps.push(spec);
    if (spec.name !== undefined) earlier.add(spec.name);
  }
  if (diagnostics.length > 0) return { diagnostics };
  if (steps.every((s, i) => s === rule.do[i])) return { rule, diagnostics };
  const { version: _old, source, ...content } = { ...rule, do: steps };
  return { rule: { ...content, version: ruleVersion(content), source }, diagnostics };
}

type Loaded = { card: unknown } | { diagnostics: RuleDiagnostic[] };

/** Problems with the reference itself come back with an empty `file`: the caller places them in the rule. */
async function loadCard(
  name: string,
  ruleFile: string,
  cwd: string,
  context: { earlier: ReadonlySet<string>; hasCommand: boolean },
): Promise<Loaded> {
  const refusal = (message: string): Loaded => ({
    diagnostics: [{ file: '', line: 1, column: 1, code: 'AP_LARK_CARD_INVALID', message }],
  });
  if (isAbsolute(name) || name.split(/[\\/]/).includes('..')) {
    return refusal(
      `card_file '${name}' must be a path inside the rules directory, relative to this rule file`,
    );
  }
  const file = join(dirname(ruleFile), name);
  let text: string;
  try {
    const { size } = await stat(resolve(cwd, file));
    if (size > MAX_CARD_FILE_BYTES)
      return refusal(`card_file '${name}' is ${size} bytes; a Lark card is at most 30 KB`);
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refusal(
      `card_file '${name}' cannot be read (${file}): ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return checkCardText(file, text, context);
}

function checkCardText(
  file: string,
  text: string,
  context: { earlier: ReadonlySet<string>; hasCommand: boolean },
): Loaded {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let card: unknown;
  try {
    // lossless-json says where the text stops being JSON (and refuses duplicate keys); JSON.parse gives plain numbers.
    parseLossless(text);
    card = JSON.parse(text);
  } catch (error) {
    const why = (error as Error).message;
    const offset = Number(/position (\d+)/.exec(why)?.[1] ?? 0);
    const message = `not valid JSON: ${why.replace(/ at position \d+$/, '')}`;
    return {
      diagnostics: [{ file, ...position(lineCounter, offset), code: 'AP_LARK_CARD_INVALID', message }],
    };
  }
  const issues: RuleIssue[] = cardIssues(card).map((i) => ({
    path: i.path,
    code: 'AP_LARK_CARD_INVALID',
    message: `not a valid Lark card: ${i.message}`,
  }));
  checkTemplates(card, [], context, issues);
  if (issues.length === 0) return { card };
  return {
    diagnostics: issues
      .map((i) => ({
        file,
        ...locate(
          doc,
          lineCounter,
          i.path,
          i.atKey,
          i.offset === undefined ? undefined : { source: text, offset: i.offset },
        ),
        code: i.code,
        message: i.message,
      }))
      .sort(byPosition),
  };
}
