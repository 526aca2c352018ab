/**
 * A rule's references (rule-refs.ts) checked against the tenant's metadata. A reference is
 * valid when it resolves in at least one space and type of its scope (a rule that names no
 * space is looked up in every space the rules name), so a rule for several types is not
 * reported for a field only one of them has. Each problem has its own code (README, "Checking
 * rules against the tenant").
 */
import type { ErrorCode } from '../errors.ts';
import type { FieldValue, Ref, Scope } from './rule-refs.ts';
import type { Edge, FieldMeta, SpaceMeta, TenantMeta, TypeMeta } from './space-meta.ts';

export interface MetaIssue {
  at: (string | number)[];
  atKey?: boolean;
  code: ErrorCode;
  message: string;
}

export interface CheckContext {
  meta: TenantMeta;
  /** Every space the rules name: the scope of a reference whose rule names none. */
  namedSpaces: readonly string[];
  /** Set when checking against a saved copy: what is not in it is reported as such. */
  savedAs?: string;
}

/** Fields the API has on every work item, whether or not `field/all` lists them. */
const SYSTEM_FIELDS = new Set([
  'name',
  'description',
  'priority',
  'owner',
  'watchers',
  'role_owners',
  'business',
  'schedule',
  'template',
  'work_item_status',
  'created_at',
  'updated_at',
  'created_by',
  'updated_by',
]);
const OPTION_TYPES = new Set(['select', 'radio', 'multi_select', 'tree_select', 'tree_multi_select']);
const TEXT_TYPES = new Set(['text', 'multi_text', 'link']);
const DATE_TYPES = new Set(['date', 'precise_date']);
const USER_TYPES = new Set(['user', 'multi_user']);
const USER_KEY = /^\d+$/;

type FoundSpace = { name: string; meta: Extract<SpaceMeta, { found: true }> };
type Place = { space: FoundSpace; types: TypeMeta[] };

export function checkRefs(refs: readonly Ref[], context: CheckContext): MetaIssue[] {
  const issues: MetaIssue[] = [];
  for (const ref of refs) {
    const issue = checkRef(ref, context);
    if (Array.isArray(issue)) issues.push(...issue);
    else if (issue) issues.push(issue);
  }
  return issues;
}

function checkRef(ref: Ref, context: CheckContext): MetaIssue | MetaIssue[] | undefined {
  const at = { at: ref.at, ...(ref.atKey && { atKey: true }) };
  switch (ref.kind) {
    case 'space': {
      const space = spaceMeta(context.meta, ref.space);
      if (space === undefined) return notSaved(at, `space '${ref.space}'`, context);
      if (space.found) return undefined;
      return { ...at, code: 'AP_META_UNKNOWN_SPACE', message: `no space '${ref.space}' in the tenant` };
    }
    case 'user': {
      const known = Object.hasOwn(context.meta.users, ref.user) ? context.meta.users[ref.user] : undefined;
      if (known === undefined) return notSaved(at, `user key '${ref.user}'`, context);
      if (known) return undefined;
      return { ...at, code: 'AP_META_UNKNOWN_USER', message: `no user with user key '${ref.user}'` };
    }
    case 'type': {
      const spaces = spacesIn(ref.scope, context);
      if (spaces.length === 0 || spaces.some((s) => s.meta.types.some((t) => t.key === ref.type)))
        return undefined;
      const known = unique(spaces.flatMap((s) => s.meta.types.map((t) => t.key)));
      return {
        ...at,
        code: 'AP_META_UNKNOWN_TYPE',
        message: `no work item type '${ref.type}' in ${spaceNames(spaces)}${choices('types', known)}`,
      };
    }
    default:
      return checkInPlaces(ref, places(ref.scope, context), at);
  }
}

function checkInPlaces(
  ref: Exclude<Ref, { kind: 'space' | 'user' | 'type' }>,
  where: Place[],
  at: Pick<MetaIssue, 'at' | 'atKey'>,
): MetaIssue | MetaIssue[] | undefined {
  if (where.length === 0) return undefined;
  const types = where.flatMap((p) => p.types);
  switch (ref.kind) {
    case 'field': {
      if (SYSTEM_FIELDS.has(ref.field) && !where.some((p) => findField(p, ref.field))) return undefined;
      const field = where.map((p) => findField(p, ref.field)).find((f) => f !== undefined);
      if (!field)
        return {
          ...at,
          code: 'AP_META_UNKNOWN_FIELD',
          message: `no field with key or alias '${ref.field}' on ${placeNames(where)}`,
        };
      return fieldValueIssues(ref, field, at);
    }
    case 'state': {
      // A node-flow type has no states of its own to check against.
      const withStates = types.filter((t) => t.states.length > 0);
      if (withStates.length === 0) return undefined;
      const having = withStates.filter((t) => t.states.some((s) => s.key === ref.state));
      if (having.length > 0) {
        if (having.some((t) => reachable(t.initial_states, t.transitions, ref.state))) return undefined;
        return {
          ...at,
          code: 'AP_META_UNREACHABLE',
          message: `no transition leads to state '${ref.state}' from the initial state (${startsOf(having, 'initial_states')}) of ${typeNames(where, having)}: no work item can be in it`,
        };
      }
      const known = unique(withStates.flatMap((t) => t.states.map((s) => s.key)));
      return {
        ...at,
        code: 'AP_META_UNKNOWN_STATE',
        message: `no state '${ref.state}' in the workflow of ${placeNames(where)}${choices('states', known)}`,
      };
    }
    case 'transition':
      return transitionIssues(ref, types, where, at);
    case 'node': {
      const matches = (n: { key: string; name: string }) => (ref.byName ? n.name : n.key) === ref.node;
      const having = types.filter((t) => t.nodes.some(matches));
      if (having.length > 0) {
        const key = (t: TypeMeta) => t.nodes.find(matches)?.key ?? ref.node;
        if (having.some((t) => reachable(t.start_nodes, t.node_connections, key(t)))) return undefined;
        return {
          ...at,
          code: 'AP_META_UNREACHABLE',
          message: `no connection leads to node '${ref.node}' from the first node (${startsOf(having, 'start_nodes')}) of ${typeNames(where, having)}: no work item reaches it`,
        };
      }
      const known = unique(types.flatMap((t) => t.nodes.map((n) => (ref.byName ? n.name : n.key))));
      const what = ref.byName ? 'node named' : 'node';
      return {
        ...at,
        code: 'AP_META_UNKNOWN_NODE',
        message: `no ${what} '${ref.node}' in the workflow of ${placeNames(where)}${known.length > 0 ? choices('nodes', known) : ' (a state flow: it has no nodes)'}`,
      };
    }
    case 'role': {
      if (types.some((t) => t.roles.some((r) => r.id === ref.role || r.key === ref.role))) return undefined;
      const known = unique(types.flatMap((t) => t.roles.map((r) => r.id)));
      return {
        ...at,
        code: 'AP_META_UNKNOWN_ROLE',
        message: `no role '${ref.role}' on ${placeNames(where)}${choices('roles', known)}`,
      };
    }
    case 'relation_rule': {
      const rules = where.flatMap((p) => p.space.meta.relation_rules);
      if (rules.some((r) => r.id === ref.id)) return undefined;
      return {
        ...at,
        code: 'AP_META_UNKNOWN_RELATION_RULE',
        message: `no relation rule '${ref.id}' in ${spaceNames(where.map((p) => p.space))}${choices('relation rules', unique(rules.map((r) => r.id)))}`,
      };
    }
  }
}

/** For each state `when` requires, whether the workflow can move from it to `transition.to`. */
function transitionIssues(
  ref: Extract<Ref, { kind: 'transition' }>,
  types: readonly TypeMeta[],
  where: Place[],
  at: Pick<MetaIssue, 'at' | 'atKey'>,
): MetaIssue[] {
  // Types whose transitions are known and that have the target (an unknown one is reported as such).
  const flows = types.filter(
    (t) => (t.transitions?.length ?? 0) > 0 && t.states.some((s) => s.key === ref.to),
  );
  const issues: MetaIssue[] = [];
  for (const from of unique(ref.from)) {
    if (from === ref.to) continue;
    const withFrom = flows.filter((t) => t.states.some((s) => s.key === from));
    if (withFrom.length === 0) continue;
    const out = (t: TypeMeta) => (t.transitions ?? []).filter((e) => e.from === from).map((e) => e.to);
    if (withFrom.some((t) => out(t).includes(ref.to))) continue;
    issues.push({
      ...at,
      code: 'AP_META_NO_TRANSITION',
      message: `no transition from '${from}' (the state \`when\` requires) to '${ref.to}' in the workflow of ${typeNames(where, withFrom)}${choices(`transitions from '${from}' to`, unique(withFrom.flatMap(out)))}`,
    });
  }
  return issues;
}

/**
 * Whether `target` can be reached from `starts` along `edges`. Unknown (metadata saved before
 * flows were read, or a template without connections) counts as reachable: nothing to report.
 */
function reachable(
  starts: readonly string[] | undefined,
  edges: readonly Edge[] | undefined,
  target: string,
): boolean {
  if (!starts || starts.length === 0 || !edges || edges.length === 0) return true;
  const seen = new Set(starts);
  const queue = [...starts];
  for (let next = queue.shift(); next !== undefined; next = queue.shift())
    for (const edge of edges)
      if (edge.from === next && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
  return seen.has(target);
}

function startsOf(types: readonly TypeMeta[], key: 'initial_states' | 'start_nodes'): string {
  return unique(types.flatMap((t) => t[key] ?? [])).join(', ');
}

/** The places, narrowed to the given types. */
function typeNames(where: Place[], types: readonly TypeMeta[]): string {
  return placeNames(
    where
      .map((p) => ({ ...p, types: p.types.filter((t) => types.includes(t)) }))
      .filter((p) => p.types.length > 0),
  );
}

/** The values a condition compares with a field, or an action writes to it. */
function fieldValueIssues(
  ref: Extract<Ref, { kind: 'field' }>,
  field: FieldMeta,
  at: Pick<MetaIssue, 'at' | 'atKey'>,
): MetaIssue[] {
  const kind = field.type.replaceAll('-', '_');
  const named = ref.field === field.key ? field.key : `${ref.field} (${field.key})`;
  const label = `${named} is a ${field.type} field`;
  const issues: MetaIssue[] = [];
  if (ref.operator === 'numeric' && kind !== 'number' && !DATE_TYPES.has(kind))
    return [{ ...at, code: 'AP_META_FIELD_TYPE', message: `${label}: it cannot be compared as a number` }];
  if (ref.operator === 'text') {
    if (kind === 'number' || kind === 'bool' || DATE_TYPES.has(kind))
      issues.push({ ...at, code: 'AP_META_FIELD_TYPE', message: `${label}: it holds no text to match` });
    return issues;
  }
  for (const value of ref.values) {
    const issue = valueIssue(value, field, kind, named);
    if (issue) issues.push(issue);
  }
  return issues;
}

function valueIssue(value: FieldValue, field: FieldMeta, kind: string, named: string): MetaIssue | undefined {
  const label = `${named} is a ${field.type} field`;
  const v = value.value;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' && v.includes('{{')) return undefined;
  if (typeof v === 'object') return undefined;
  const wrong = (why: string): MetaIssue => ({
    at: value.at,
    code: 'AP_META_FIELD_TYPE',
    message: `${label}; ${describe(v)} ${why}`,
  });
  if (OPTION_TYPES.has(kind)) {
    if (typeof v === 'number' && value.use === 'compare')
      return wrong(`never equals its option values, which are text: write '${v}'`);
    if (typeof v !== 'string' && typeof v !== 'number') return wrong('is not an option value');
    const written = String(v);
    if (field.options.length === 0 || field.options.some((o) => o.value === written)) return undefined;
    const byLabel = field.options.find((o) => o.label === written);
    const hint = byLabel
      ? ` ('${written}' is the label of option '${byLabel.value}': rules use option values)`
      : '';
    return {
      at: value.at,
      code: 'AP_META_UNKNOWN_OPTION',
      message: `'${written}' is not an option of ${named}${hint}${choices(
        'options',
        field.options.map((o) => o.value),
      )}`,
    };
  }
  if (kind === 'number') return typeof v === 'number' ? undefined : wrong('is not a number');
  if (TEXT_TYPES.has(kind)) return typeof v === 'string' ? undefined : wrong('is not text');
  if (kind === 'bool') return typeof v === 'boolean' ? undefined : wrong('is not true or false');
  if (DATE_TYPES.has(kind)) return typeof v === 'number' ? undefined : wrong('is not a time in epoch ms');
  if (USER_TYPES.has(kind)) {
    if (typeof v === 'string' && USER_KEY.test(v)) return undefined;
    return wrong(typeof v === 'number' ? 'is a number: quote user keys' : 'is not a user key (digits)');
  }
  return undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (text)`;
  if (typeof value === 'number') return `${value} (a number)`;
  return `${String(value)} (${typeof value})`;
}

function findField(place: Place, name: string): FieldMeta | undefined {
  const typeKeys = new Set(place.types.map((t) => t.key));
  return place.space.meta.fields.find(
    (f) =>
      (f.key === name || f.alias === name) &&
      (f.scopes.length === 0 || f.scopes.some((s) => typeKeys.has(s))),
  );
}

function spaceMeta(meta: TenantMeta, name: string): SpaceMeta | undefined {
  return Object.hasOwn(meta.spaces, name) ? meta.spaces[name] : undefined;
}

/** The spaces of a scope that exist (the others are reported where they are named). */
function spacesIn(scope: Scope, context: CheckContext): FoundSpace[] {
  const names = scope.spaces ?? context.namedSpaces;
  const found: FoundSpace[] = [];
  for (const name of unique(names)) {
    const meta = spaceMeta(context.meta, name);
    if (meta?.found) found.push({ name, meta });
  }
  return found;
}

function places(scope: Scope, context: CheckContext): Place[] {
  return spacesIn(scope, context)
    .map((space) => ({
      space,
      types: scope.types ? space.meta.types.filter((t) => scope.types?.includes(t.key)) : space.meta.types,
    }))
    .filter((p) => p.types.length > 0);
}

function notSaved(
  at: Pick<MetaIssue, 'at' | 'atKey'>,
  what: string,
  context: CheckContext,
): MetaIssue | undefined {
  if (context.savedAs === undefined) return undefined;
  return {
    ...at,
    code: 'AP_META_NOT_SAVED',
    message: `${what} is not in the saved metadata ${context.savedAs}: refresh it with 'autopilot check --live --cache ${context.savedAs}'`,
  };
}

function placeNames(where: Place[]): string {
  return where.map((p) => `${p.types.map((t) => t.key).join(', ')} in ${p.space.name}`).join('; ');
}

function spaceNames(spaces: FoundSpace[]): string {
  return spaces.length === 1 ? `space ${spaces[0]?.name}` : `spaces ${spaces.map((s) => s.name).join(', ')}`;
}

function choices(what: string, known: readonly string[]): string {
  if (known.length === 0) return ` (it has no ${what})`;
  const shown = known.slice(0, 20).join(', ');
  return ` (${what}: ${shown}${known.length > 20 ? ', …' : ''})`;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
