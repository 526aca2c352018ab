/**
 * The chat commands the loaded rules understand: each `on.command` grammar compiled once per
 * rule set. Reading a message tells which grammar it matches (and with which arguments), which
 * of those rules let this chat and sender use it, and the help text for everything else. Pure.
 */
import { compileCommandGrammar, type CommandGrammar } from '../../rules/command-grammar.ts';
import { isCommandTrigger, type CommandTrigger, type Rule } from '../../rules/rule.ts';

export interface CommandEntry {
  rule: Rule;
  trigger: CommandTrigger;
  grammar: CommandGrammar;
}

export interface CommandCatalog {
  entries: readonly CommandEntry[];
  /** Every space named literally by any rule (on.project, searches, action targets). */
  projects: ReadonlySet<string>;
}

export type CommandReading =
  | { kind: 'unknown' }
  | { kind: 'denied'; name: string; why: 'chat' | 'user' }
  | { kind: 'command'; name: string; args: Record<string, string>; entries: CommandEntry[] };

const cache = new WeakMap<readonly Rule[], CommandCatalog>();

/** The catalogue of a rule set, built once per set (a reload brings a new array). */
export function commandCatalogOf(rules: readonly Rule[]): CommandCatalog {
  let catalog = cache.get(rules);
  if (catalog === undefined) cache.set(rules, (catalog = buildCommandCatalog(rules)));
  return catalog;
}

export function buildCommandCatalog(rules: readonly Rule[]): CommandCatalog {
  const entries: CommandEntry[] = [];
  const projects = new Set<string>();
  for (const rule of rules) {
    for (const project of literalProjects(rule)) projects.add(project);
    if (!rule.enabled || !isCommandTrigger(rule.on)) continue;
    entries.push({ rule, trigger: rule.on, grammar: compileCommandGrammar(rule.on.command) });
  }
  return { entries, projects };
}

/**
 * The first grammar (in rule order) that matches gives the command and its arguments; the rules
 * with that grammar's name that match too are the ones that may run. When all of them refuse
 * this chat or sender, the message is denied, naming why.
 */
export function readCommand(
  catalog: CommandCatalog,
  text: string,
  from: { chatId: string; sender: string },
): CommandReading {
  const matching = catalog.entries.flatMap((entry) => {
    const args = entry.grammar.match(text);
    return args === undefined ? [] : [{ entry, args }];
  });
  const first = matching[0];
  if (first === undefined) return { kind: 'unknown' };
  const name = first.entry.grammar.name;
  const same = matching.filter((m) => m.entry.grammar.name === name).map((m) => m.entry);
  const chatAllowed = same.filter((e) => allows(e.trigger.chats, from.chatId));
  if (chatAllowed.length === 0) return { kind: 'denied', name, why: 'chat' };
  if (!chatAllowed.some((e) => allows(e.trigger.users, from.sender)))
    return { kind: 'denied', name, why: 'user' };
  return { kind: 'command', name, args: first.args, entries: same };
}

/**
 * A chat message read against the catalogue: a person given as an @mention is an argument when a
 * grammar takes it there (the text keeping later mentions as their keys); otherwise the mentions
 * are read as before, left out of the text. The chat route and `autopilot test` read alike.
 */
export function readChatMessage(
  catalog: CommandCatalog,
  message: { text: string; textWithMentions?: string; chatId: string; sender: string },
): CommandReading {
  if (message.textWithMentions !== undefined) {
    const withMentions = readCommand(catalog, message.textWithMentions, message);
    if (withMentions.kind !== 'unknown') return withMentions;
  }
  return readCommand(catalog, message.text, message);
}

function allows(list: readonly string[] | undefined, id: string): boolean {
  return list === undefined || list.length === 0 || list.includes(id);
}

/** The help reply: every command grammar with its rule's description, the ones this chat may use. */
export function helpText(catalog: CommandCatalog, chatId: string, heard: string): string {
  const usable = catalog.entries.filter((e) => allows(e.trigger.chats, chatId));
  const intro =
    heard === '' ? 'Commands I understand:' : `I don't know "${clip(heard, 60)}". Commands I understand:`;
  if (usable.length === 0) return `${intro} none in this chat.`;
  const lines = usable.map((e) => {
    const about = e.rule.description ? ` (${clip(e.rule.description.replace(/\s+/g, ' ').trim(), 140)})` : '';
    return `• ${e.trigger.command}${about}`;
  });
  return [intro, ...new Set(lines)].join('\n');
}

export function deniedText(name: string, why: 'chat' | 'user'): string {
  return why === 'user'
    ? `Sorry, you are not allowed to use the "${name}" command.`
    : `The "${name}" command cannot be used in this chat.`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Literal (not templated) space keys a rule names. */
function literalProjects(rule: Rule): string[] {
  const on = rule.on as { project?: string[]; poll?: { search?: { project?: unknown } } } & {
    schedule?: { search?: { project?: unknown } };
  };
  const found = [...(on.project ?? [])];
  for (const search of [on.poll?.search, on.schedule?.search]) {
    if (typeof search?.project === 'string') found.push(search.project);
  }
  for (const action of rule.do) {
    const target = (action.params as { target?: { project?: unknown } }).target;
    if (typeof target?.project === 'string' && !target.project.includes('{{')) found.push(target.project);
  }
  return found;
}

/** Literal work item type of a command's rules: on.work_item_type or an action target's type. */
export function literalType(entries: readonly CommandEntry[]): string | undefined {
  const types = new Set<string>();
  for (const { rule, trigger } of entries) {
    for (const t of trigger.work_item_type ?? []) types.add(t);
    for (const action of rule.do) {
      const type = (action.params as { target?: { type?: unknown } }).target?.type;
      if (typeof type === 'string' && !type.includes('{{')) types.add(type);
    }
  }
  return types.size === 1 ? [...types][0] : undefined;
}
