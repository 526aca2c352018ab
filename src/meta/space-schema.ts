/**
 * `autopilot schema --live`: the rule schema (schema/rule.schema.json) with the tenant's real
 * names as enums, so the YAML language server completes them as a rule is typed: spaces, work
 * item types, states, nodes, roles, field keys and aliases, and each option field's values.
 * Every value carries a description in Chinese and English (`enumDescriptions`,
 * `markdownEnumDescriptions`: the editors' keywords beside `enum`).
 *
 * Names written where the engine needs one (a space, a type, `transition.to`, a node, a role)
 * must be one of them or a template (`{{…}}`), as `autopilot check --live` requires; condition
 * paths and values only offer them (a condition may match with a regex or name another fact).
 */
import type { FieldMeta, SpaceMeta, TenantMeta } from './space-meta.ts';

type Json = Record<string, unknown>;

/** `$id` of the base schema; an extended schema's id names its spaces after it. */
export const RULE_SCHEMA_ID = 'urn:fp-autopilot:rule-schema';

/** One completion: a value and where the tenant has it. */
interface Choice {
  value: string;
  zh: string;
  en: string;
}

interface FieldChoice extends Choice {
  field: FieldMeta;
}

/** The tenant's names, each once, described by the places that have it. */
export interface SpaceValues {
  spaces: Choice[];
  types: Choice[];
  states: Choice[];
  nodes: Choice[];
  roles: Choice[];
  /** By field key and by alias. */
  fields: FieldChoice[];
}

type FoundSpace = Extract<SpaceMeta, { found: true }>;

export function spaceValues(meta: TenantMeta): SpaceValues {
  const spaces = new Choices();
  const types = new Choices();
  const states = new Choices();
  const nodes = new Choices();
  const roles = new Choices();
  const fields = new Map<string, FieldChoice>();
  for (const [spaceName, space] of Object.entries(meta.spaces)) {
    if (!space.found) continue;
    const typeList = space.types.map((t) => t.key).join(', ');
    spaces.add(
      spaceName,
      `空间 ${spaceName}（工作项类型：${typeList}）`,
      `space ${spaceName} (types: ${typeList})`,
    );
    for (const type of space.types) {
      const at = `${type.key} · ${spaceName}`;
      const atEn = `${type.key} in ${spaceName}`;
      types.add(
        type.key,
        `工作项类型「${type.name}」（${spaceName}）`,
        `work item type "${type.name}" (${spaceName})`,
      );
      for (const s of type.states)
        states.add(s.key, `状态「${s.name}」（${at}）`, `state "${s.name}" (${atEn})`);
      for (const n of type.nodes)
        nodes.add(n.key, `节点「${n.name}」（${at}）`, `node "${n.name}" (${atEn})`);
      for (const r of type.roles) {
        roles.add(r.id, `角色「${r.name}」（${at}）`, `role "${r.name}" (${atEn})`);
        if (r.key !== r.id) roles.add(r.key, `角色「${r.name}」（${at}）`, `role "${r.name}" (${atEn})`);
      }
    }
    for (const field of space.fields) addField(fields, field, spaceName, space);
  }
  return {
    spaces: spaces.list(),
    types: types.list(),
    states: states.list(),
    nodes: nodes.list(),
    roles: roles.list(),
    fields: [...fields.values()],
  };
}

function addField(
  into: Map<string, FieldChoice>,
  field: FieldMeta,
  spaceName: string,
  space: FoundSpace,
): void {
  const scopes = field.scopes.length > 0 ? field.scopes : space.types.map((t) => t.key);
  const at = `${scopes.join(', ')} · ${spaceName}`;
  const atEn = `${scopes.join(', ')} in ${spaceName}`;
  const options = field.options.length > 0 ? `；选项：${field.options.map((o) => o.value).join(', ')}` : '';
  const optionsEn =
    field.options.length > 0 ? `; options: ${field.options.map((o) => o.value).join(', ')}` : '';
  for (const name of field.alias && field.alias !== field.key ? [field.key, field.alias] : [field.key]) {
    if (name === '') continue;
    const also = name === field.key ? '' : `，字段键 ${field.key}`;
    const alsoEn = name === field.key ? '' : `, key ${field.key}`;
    const zh = `字段「${field.name}」（${field.type}${also}；${at}${options}）`;
    const en = `field "${field.name}" (${field.type}${alsoEn}; ${atEn}${optionsEn})`;
    const known = into.get(name);
    if (!known) {
      into.set(name, { value: name, zh, en, field: { ...field, options: [...field.options] } });
      continue;
    }
    // The same key in another space: one completion, every place named, the options of both.
    if (!known.zh.includes(zh)) known.zh += `；${zh}`;
    if (!known.en.includes(en)) known.en += `; ${en}`;
    for (const option of field.options)
      if (!known.field.options.some((o) => o.value === option.value)) known.field.options.push(option);
  }
}

class Choices {
  private readonly byValue = new Map<string, Choice>();

  add(value: string, zh: string, en: string): void {
    if (value === '') return;
    const known = this.byValue.get(value);
    if (!known) this.byValue.set(value, { value, zh, en });
    else if (!known.zh.includes(zh)) {
      known.zh += `；${zh}`;
      known.en += `; ${en}`;
    }
  }

  list(): Choice[] {
    return [...this.byValue.values()];
  }
}

const TEMPLATE = { type: 'string', pattern: '\\{\\{', description: '模板 · a template ({{…}})' };
const OPTION_KINDS = new Set(['select', 'radio', 'multi_select', 'tree_select', 'tree_multi_select']);
const MULTI_KINDS = new Set(['multi_select', 'tree_multi_select']);

/** The base schema with the tenant's names as enums; the base is not changed. */
export function spaceSchema(base: Readonly<Json>, meta: TenantMeta): Json {
  const values = spaceValues(meta);
  const schema = structuredClone(base) as Json & { definitions: Record<string, Json> };
  const defs = schema.definitions;
  const spaceNames = Object.entries(meta.spaces)
    .filter(([, s]) => s.found)
    .map(([name]) => name);
  schema.$id = `${RULE_SCHEMA_ID}:spaces:${spaceNames.join(':')}`;
  schema.title = `fp-autopilot rule (spaces ${spaceNames.join(', ')})`;
  schema.description = `${String(base.description)} 空间 spaces: ${spaceNames.join(', ')}; read from ${meta.source === 'api' ? 'the Open API' : 'the built-in simulator'} at ${meta.read_at}.`;

  const named: Array<[string, Choice[], string]> = [
    ['space_key', values.spaces, '空间（键或简称）· space key or simple name'],
    ['type_key', values.types, '工作项类型 · work item type key'],
    ['state_key', values.states, '状态 · state key'],
    ['node_key', values.nodes, '节点 · node id (state_key)'],
    ['role_key', values.roles, '角色 · role id or key'],
  ];
  const present = new Set<string>();
  for (const [name, choices, description] of named) {
    if (choices.length === 0) continue;
    defs[name] = { description, anyOf: [enumOf(choices), TEMPLATE] };
    present.add(name);
  }
  const ref = (name: string, description?: unknown): Json | undefined =>
    present.has(name)
      ? { $ref: `#/definitions/${name}`, ...(typeof description === 'string' && { description }) }
      : undefined;
  const listOf = (name: string, original: Json): Json | undefined =>
    present.has(name)
      ? {
          type: 'array',
          description: original.description,
          items: { $ref: `#/definitions/${name}` },
          minItems: 1,
          uniqueItems: true,
        }
      : undefined;
  const replace = (def: string, property: string, make: (original: Json) => Json | undefined) => {
    const properties = defs[def]?.properties as Record<string, Json> | undefined;
    const original = properties?.[property];
    if (!properties || !original) throw new Error(`rule schema: no ${def}.${property} to extend`);
    const made = make(original);
    if (made) properties[property] = made;
  };

  replace('trigger', 'project', (o) => listOf('space_key', o));
  replace('trigger', 'work_item_type', (o) => listOf('type_key', o));
  replace('searchSpec', 'project', (o) => ref('space_key', o.description));
  replace('searchSpec', 'work_item_type', (o) => ref('type_key', o.description));
  replace('target', 'project', (o) => ref('space_key', o.description));
  replace('target', 'type', (o) => ref('type_key', o.description));
  replace('action_create_work_item', 'project', (o) => ref('space_key', o.description));
  replace('action_create_work_item', 'type', (o) => ref('type_key', o.description));
  replace('action_transition', 'to', (o) => ref('state_key', o.description));
  for (const action of ['complete_node', 'rollback_node', 'create_subtask', 'complete_subtask'])
    replace(`action_${action}`, 'node', (o) => ref('node_key', o.description));
  replace('action_assign', 'role', (o) => ref('role_key', o.description));

  if (values.roles.length > 0)
    defs.roleMap = {
      ...defs.roleMap,
      properties: Object.fromEntries(
        values.roles.map((r) => [
          r.value,
          { $ref: '#/definitions/userKeys', description: `${r.zh} / ${r.en}` },
        ]),
      ),
    };
  if (values.fields.length > 0) {
    defs.fieldMap = {
      ...defs.fieldMap,
      properties: Object.fromEntries(values.fields.map((f) => [f.value, writtenValue(f)])),
    };
    const condition = defs.condition as Json & { properties: Record<string, Json> };
    const paths = [
      ...values.fields.map((f) => ({ ...f, value: `fields.${f.value}` })),
      ...values.roles.map((r) => ({ ...r, value: `roles.${r.value}` })),
      ...(values.states.length > 0 ? [{ value: 'state', zh: '当前状态', en: 'the current state' }] : []),
    ];
    condition.properties.path = {
      ...condition.properties.path,
      anyOf: [enumOf(paths), { type: 'string' }],
    };
    condition.allOf = [
      ...values.fields
        .filter((f) => f.field.options.length > 0)
        .map((f) =>
          comparedValue(
            `fields.${f.value}`,
            f.field.options.map((o) => ({
              value: o.value,
              zh: `选项「${o.label}」`,
              en: `option "${o.label}"`,
            })),
          ),
        ),
      ...(values.states.length > 0 ? [comparedValue('state', values.states)] : []),
    ];
  }
  return schema;
}

function enumOf(choices: readonly Choice[]): Json {
  return {
    type: 'string',
    enum: choices.map((c) => c.value),
    enumDescriptions: choices.map((c) => `${c.zh} / ${c.en}`),
    markdownEnumDescriptions: choices.map((c) => `${c.zh}\n\n${c.en}`),
  };
}

/** What `fields: { <field>: … }` takes: an option field one of its options (or a list of them). */
function writtenValue(choice: FieldChoice): Json {
  const description = `${choice.zh} / ${choice.en}`;
  const kind = choice.field.type.replaceAll('-', '_');
  if (!OPTION_KINDS.has(kind) || choice.field.options.length === 0) return { description };
  const options = enumOf(
    choice.field.options.map((o) => ({
      value: o.value,
      zh: `选项「${o.label}」`,
      en: `option "${o.label}"`,
    })),
  );
  const one = [options, TEMPLATE];
  return {
    description,
    anyOf: MULTI_KINDS.has(kind) ? [{ type: 'array', items: { anyOf: one } }, ...one] : one,
  };
}

/** On a condition on `path`, its value is offered these choices (and may still be anything). */
function comparedValue(path: string, choices: readonly Choice[]): Json {
  const offered = enumOf(choices);
  return {
    if: { properties: { fact: { const: 'work_item' }, path: { const: path } }, required: ['fact', 'path'] },
    then: {
      properties: { value: { anyOf: [offered, { type: 'array', items: { anyOf: [offered, {}] } }, {}] } },
    },
  };
}
