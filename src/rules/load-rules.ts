/**
 * Rule files → Rule models plus every problem found, each at its file:line:column.
 * Used by `autopilot check`, the server at start and on hot reload, and tests.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCardFiles } from './card-files.ts';
import { checkRule } from './check-rule.ts';
import { byPosition, type RuleDiagnostic, type RuleIssue } from './diagnostic.ts';
import { locate, position } from './locate.ts';
import { normalizeRule } from './normalize-rule.ts';
import type { Rule } from './rule.ts';
import { ruleValidator } from './rule-schema.ts';
import { schemaIssues } from './schema-messages.ts';
import { MAX_RULE_FILE_BYTES, parseYamlSafely, tooLarge } from './yaml-safe.ts';

export { formatDiagnostic, type RuleDiagnostic } from './diagnostic.ts';

export interface LoadResult {
  /** Rules without any diagnostic; a rule with a problem is left out, never half-loaded. */
  rules: Rule[];
  diagnostics: RuleDiagnostic[];
}

export interface LoadOptions {
  /** Directory relative paths are resolved against; diagnostics keep the paths as given. @defaultValue process.cwd() */
  cwd?: string;
}

interface Parsed {
  rule?: Rule;
  diagnostics: RuleDiagnostic[];
  idAt?: { line: number; column: number };
  /** Where a path of the rule document sits, for problems found after parsing (card files). */
  at?: (path: (string | number)[]) => { line: number; column: number };
}

function withText(rule: Rule, text: string): Rule {
  return { ...rule, source: { ...rule.source, text } };
}

/** Parses and validates one rule file's text. Never throws for bad input. */
export function parseRuleText(file: string, text: string): { rule?: Rule; diagnostics: RuleDiagnostic[] } {
  const { rule, diagnostics } = parse(file, text);
  return rule ? { rule, diagnostics } : { diagnostics };
}

function parse(file: string, text: string): Parsed {
  const yaml = parseYamlSafely(text);
  if (yaml.issues.length > 0) {
    return {
      diagnostics: yaml.issues.map((i) => ({
        file,
        ...position(yaml.lineCounter, i.offset),
        code: i.code,
        message: i.message,
      })),
    };
  }
  const validate = ruleValidator();
  const issues: RuleIssue[] = validate(yaml.value) ? [] : schemaIssues(validate.errors ?? []);
  issues.push(...checkRule(file, yaml.value));
  const diagnostics = unique(
    issues.map((i) => ({
      file,
      ...locate(
        yaml.doc,
        yaml.lineCounter,
        i.path,
        i.atKey,
        i.offset === undefined ? undefined : { source: text, offset: i.offset },
      ),
      code: i.code,
      message: i.message,
    })),
  ).sort(byPosition);
  const idAt = locate(yaml.doc, yaml.lineCounter, ['id']);
  const at = (path: (string | number)[]) => locate(yaml.doc, yaml.lineCounter, path);
  return diagnostics.length > 0
    ? { diagnostics, idAt }
    : { rule: withText(normalizeRule(yaml.value, file), text), diagnostics, idAt, at };
}

/**
 * Loads rule files and directories (every *.yaml / *.yml below a directory, skipping dot
 * directories), then checks ids are unique across them.
 */
export async function loadRules(paths: string[], options: LoadOptions = {}): Promise<LoadResult> {
  const cwd = options.cwd ?? process.cwd();
  const diagnostics: RuleDiagnostic[] = [];
  const files: string[] = [];
  for (const path of paths) {
    const found = await ruleFiles(path, cwd);
    if ('error' in found) diagnostics.push(fileDiagnostic(path, found.error));
    else files.push(...found.files);
  }
  const parsed: { file: string; result: Parsed }[] = [];
  for (const file of [...new Set(files)]) parsed.push({ file, result: await parseFile(file, cwd) });
  const rules: Rule[] = [];
  const seen = new Map<string, RuleDiagnostic>();
  for (const { file, result } of parsed) {
    diagnostics.push(...result.diagnostics);
    if (!result.rule) continue;
    const first = seen.get(result.rule.id);
    const at = result.idAt ?? { line: 1, column: 1 };
    if (first) {
      diagnostics.push({
        file,
        ...at,
        code: 'AP_RULE_DUPLICATE_ID',
        message: `duplicate rule id '${result.rule.id}' (first defined at ${first.file}:${first.line}:${first.column})`,
      });
      continue;
    }
    seen.set(result.rule.id, { file, ...at, code: 'AP_RULE_DUPLICATE_ID', message: '' });
    rules.push(result.rule);
  }
  return { rules, diagnostics };
}

async function parseFile(file: string, cwd: string): Promise<Parsed> {
  const absolute = resolve(cwd, file);
  let text: string;
  try {
    // Size first: an oversized file is refused without being read.
    const { size } = await stat(absolute);
    if (size > MAX_RULE_FILE_BYTES) {
      const issue = tooLarge(size);
      return { diagnostics: [{ file, line: 1, column: 1, code: issue.code, message: issue.message }] };
    }
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    return { diagnostics: [fileDiagnostic(file, error)] };
  }
  const parsed = parse(file, text);
  if (!parsed.rule || !parsed.at) return parsed;
  const withCards = await loadCardFiles(parsed.rule, file, cwd, parsed.at);
  const { rule: _unchecked, ...rest } = parsed;
  return withCards.rule ? { ...rest, ...withCards } : { ...rest, diagnostics: withCards.diagnostics };
}

async function ruleFiles(path: string, cwd: string): Promise<{ files: string[] } | { error: unknown }> {
  try {
    const info = await stat(resolve(cwd, path));
    if (!info.isDirectory()) return { files: [path] };
    const entries = await readdir(resolve(cwd, path), { withFileTypes: true });
    const files: string[] = [];
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        const nested = await ruleFiles(child, cwd);
        if ('files' in nested) files.push(...nested.files);
      } else if (/\.ya?ml$/.test(entry.name)) {
        files.push(child);
      }
    }
    return { files };
  } catch (error) {
    return { error };
  }
}

function fileDiagnostic(file: string, error: unknown): RuleDiagnostic {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
  };
  const reason = (code && reasons[code]) ?? (error as Error).message;
  return { file, line: 1, column: 1, code: 'AP_RULE_FILE', message: `cannot read rules: ${reason}` };
}

function unique(diagnostics: RuleDiagnostic[]): RuleDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.column}:${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
