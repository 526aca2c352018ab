/**
 * Rules to check against a tenant's metadata, generated: a tenant of five spaces beside the demo
 * tenant's two (each with a state-flow `issue` whose state `archived` no transition leads to,
 * and a node-flow `story` whose node `hotfix` no connection leads to), and rule files with one
 * deliberate mistake each, of every kind `autopilot check --live` reports, together with the
 * same rule without the mistake and where the mistake is written.
 */
import type { ErrorCode } from '../../src/errors.ts';
import { demoConfig } from '../../src/simulator/model/seed-config.ts';
import type { FieldDef, Template, TenantData } from '../../src/simulator/model/types.ts';

export const SPACES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'] as const;
export type SpaceName = (typeof SPACES)[number];

const ALICE = '7400000000000000002';
const BOB = '7400000000000000003';

const projectKey = (i: number) => `66b0c0ffee00000000000${String(i + 1).padStart(3, '0')}`;

/** The demo tenant's configuration with the five spaces added. */
export function fiveSpaceTenant(): TenantData {
  const tenant = demoConfig();
  SPACES.forEach((name, i) => {
    const pk = projectKey(i);
    const issueTemplate = 5000 + i * 10 + 1;
    const storyTemplate = 5000 + i * 10 + 2;
    tenant.spaces.push({
      project_key: pk,
      simple_name: name,
      name: `Space ${name}`,
      administrators: [ALICE],
    });
    tenant.types.push(
      {
        project_key: pk,
        type_key: 'issue',
        name: 'Bug',
        flow_mode: 'stateflow',
        template_ids: [issueTemplate],
        roles: [
          { id: 'reporter', name: 'Reporter' },
          { id: 'operator', name: 'Assignee' },
        ],
      },
      {
        project_key: pk,
        type_key: 'story',
        name: 'Story',
        flow_mode: 'workflow',
        template_ids: [storyTemplate],
        roles: [
          { id: 'pm', name: 'Product manager' },
          { id: 'rd', name: 'Developer' },
          { id: 'qa', name: 'Tester' },
        ],
      },
    );
    tenant.templates.push(issueFlow(issueTemplate, pk), storyFlow(storyTemplate, pk));
    tenant.fields.push(...spaceFields(pk));
    tenant.relation_rules.push({
      id: `rule_${name}`,
      name: `Sync ${name}`,
      project_key: pk,
      remote_project_key: projectKey((i + 1) % SPACES.length),
      current_work_item_type_key: 'story',
      remote_work_item_type_key: 'story',
      work_item_relation_id: `rel_${name}`,
      work_item_relation_name: `Synced story (${name})`,
      disabled: 0,
      chat_group_merge: 0,
    });
  });
  return { ...tenant, work_items: [], subtasks: [], comments: [], bindings: [], op_records: [] };
}

function issueFlow(template_id: number, project_key: string): Template {
  const transitions: Array<[string, string]> = [
    ['open', 'in_progress'],
    ['in_progress', 'resolved'],
    ['in_progress', 'open'],
    ['resolved', 'in_progress'],
    // Out of `archived`, never into it: a state left over from an older flow.
    ['archived', 'open'],
  ];
  return {
    template_id,
    project_key,
    work_item_type_key: 'issue',
    name: 'Bug',
    version: 1,
    flow: 'state',
    nodes: [],
    connections: [],
    states: [
      { state_key: 'open', name: '待处理', is_init: true, is_archived: false },
      { state_key: 'in_progress', name: '处理中', is_init: false, is_archived: false },
      { state_key: 'resolved', name: '已解决', is_init: false, is_archived: true },
      { state_key: 'archived', name: '已归档', is_init: false, is_archived: false },
    ],
    transitions: transitions.map(([from, to], i) => ({
      transition_id: template_id * 100 + i,
      source_state_key: from,
      target_state_key: to,
      required_fields: [],
    })),
  };
}

function storyFlow(template_id: number, project_key: string): Template {
  const node = (state_key: string, name: string, owner_roles: string[]) => ({
    state_key,
    name,
    owner_roles,
    required_fields: [],
    pass_mode: 2 as const,
  });
  return {
    template_id,
    project_key,
    work_item_type_key: 'story',
    name: 'Story',
    version: 1,
    flow: 'node',
    nodes: [
      node('start', '开始', ['pm']),
      node('doing', '开发', ['rd']),
      node('testing', '测试', ['qa']),
      node('end', '完成', []),
      // Connected onwards, never into: no story reaches it.
      node('hotfix', '热修复', ['rd']),
    ],
    connections: [
      { source_state_key: 'start', target_state_key: 'doing' },
      { source_state_key: 'doing', target_state_key: 'testing' },
      { source_state_key: 'testing', target_state_key: 'end' },
      { source_state_key: 'hotfix', target_state_key: 'end' },
    ],
    states: [],
    transitions: [],
  };
}

function spaceFields(pk: string): FieldDef[] {
  const field = (
    field_key: string,
    field_type_key: string,
    scopes: string[],
    extra: Partial<FieldDef> = {},
  ): FieldDef => ({
    project_key: pk,
    field_key,
    field_alias: '',
    field_name: field_key,
    field_type_key,
    work_item_scopes: scopes,
    is_custom_field: field_key.startsWith('field_'),
    ...extra,
  });
  const options = (values: string[]) => values.map((value) => ({ value, label: value }));
  return [
    field('name', 'text', ['issue', 'story'], { field_alias: 'name', field_name: '名称' }),
    field('description', 'multi_text', ['issue', 'story'], { field_name: '描述' }),
    field('priority', 'select', ['issue', 'story'], {
      field_alias: 'priority',
      field_name: '优先级',
      options: options(['P0', 'P1', 'P2', 'P3']),
    }),
    field('owner', 'user', ['issue', 'story'], { field_name: '创建者', read_only: true }),
    field('field_severity', 'select', ['issue'], {
      field_alias: 'severity',
      field_name: '严重程度',
      options: options(['critical', 'major', 'minor']),
    }),
    field('field_resolution', 'text', ['issue'], { field_alias: 'resolution', field_name: '解决方案' }),
    field('field_estimate', 'number', ['story'], { field_alias: 'estimate', field_name: '估时' }),
  ];
}

/** One mistake: its kind, the code it is reported with, and a rule with a slot `⟦right|wrong⟧`. */
interface MistakeKind {
  kind: string;
  code: ErrorCode;
  /** Three wrong values (one per generated variant) for the slot's place. */
  rule: (space: SpaceName, variant: number, id: string) => string;
}

const head = (id: string, space: string, type: string, event = 'work_item.updated') =>
  `id: ${id}\non:\n  event: ${event}\n  project: [${space}]\n  work_item_type: [${type}]\n`;

const pick = <T>(values: readonly T[], variant: number): T => values[variant % values.length] as T;

/** Every kind `autopilot check --live` reports (README, "Checking rules against the tenant"). */
export const MISTAKE_KINDS: readonly MistakeKind[] = [
  {
    kind: 'field-key',
    code: 'AP_META_UNKNOWN_FIELD',
    rule: (s, v, id) =>
      `${head(id, s, 'issue')}when:\n  all:\n    - { fact: work_item, path: ⟦fields.priority|${pick(['fields.prio', 'fields.priorty', 'fields.field_sev'], v)}⟧, operator: equal, value: P0 }\ndo:\n  - comment: { text: 'P0: {{work_item.name}}' }\n`,
  },
  {
    kind: 'field-alias',
    code: 'AP_META_UNKNOWN_FIELD',
    rule: (s, v, id) =>
      `${head(id, s, 'issue')}do:\n  - update_fields: { fields: { ⟦severity|${pick(['sevrity', 'field_sev', 'Severity'], v)}⟧: major } }\n`,
  },
  {
    kind: 'option-compared',
    code: 'AP_META_UNKNOWN_OPTION',
    rule: (s, v, id) =>
      `${head(id, s, 'issue')}when:\n  all:\n    - { fact: work_item, path: fields.priority, operator: equal, value: ⟦P1|${pick(['P9', 'P00', 'p1'], v)}⟧ }\ndo:\n  - comment: { text: 'seen' }\n`,
  },
  {
    kind: 'option-written',
    code: 'AP_META_UNKNOWN_OPTION',
    rule: (s, v, id) =>
      `${head(id, s, 'issue')}do:\n  - comment: { text: 'lowering' }\n  - update_fields:\n      fields:\n        severity: ⟦minor|${pick(['blocker', 'trivial', 'Minor'], v)}⟧\n`,
  },
  {
    kind: 'value-type',
    code: 'AP_META_FIELD_TYPE',
    rule: (s, v, id) =>
      `${head(id, s, 'story')}when:\n  all:\n    - { fact: work_item, path: fields.estimate, operator: equal, value: ⟦3|${pick(['high', "'3'", 'three'], v)}⟧ }\ndo:\n  - comment: { text: 'estimated' }\n`,
  },
  {
    kind: 'operator-type',
    code: 'AP_META_FIELD_TYPE',
    rule: (s, v, id) =>
      `${head(id, s, 'story')}when:\n  all:\n    - fact: work_item\n      path: ⟦fields.estimate|${pick(['fields.name', 'fields.priority', 'fields.description'], v)}⟧\n      operator: greaterThan\n      value: 5\ndo:\n  - comment: { text: 'big' }\n`,
  },
  {
    kind: 'state-lacking',
    code: 'AP_META_UNKNOWN_STATE',
    rule: (s, v, id) =>
      `${head(id, s, 'issue', 'work_item.created')}do:\n  - comment: { text: 'moving' }\n  - transition: { to: ⟦in_progress|${pick(['closed', 'done', 'In Progress'], v)}⟧ }\n`,
  },
  {
    kind: 'state-lacking-condition',
    code: 'AP_META_UNKNOWN_STATE',
    rule: (s, v, id) =>
      `${head(id, s, 'issue')}when:\n  any:\n    - { fact: work_item, path: state, operator: equal, value: ⟦open|${pick(['opened', 'new', 'todo'], v)}⟧ }\n    - { fact: work_item, path: fields.priority, operator: equal, value: P0 }\ndo:\n  - comment: { text: 'noted' }\n`,
  },
  {
    kind: 'node-lacking',
    code: 'AP_META_UNKNOWN_NODE',
    rule: (s, v, id) =>
      `${head(id, s, 'story', 'node.reached')}do:\n  - complete_node: { node: ⟦doing|${pick(['review', 'dev', 'qa_signoff'], v)}⟧ }\n`,
  },
  {
    kind: 'transition-lacking',
    code: 'AP_META_NO_TRANSITION',
    rule: (s, v, id) => {
      const [from, right, wrong] = pick(
        [
          ['resolved', 'in_progress', 'open'],
          ['open', 'in_progress', 'resolved'],
          ['[open, in_progress]', 'in_progress', 'resolved'],
        ],
        v,
      );
      const operator = from.startsWith('[') ? 'in' : 'equal';
      return `${head(id, s, 'issue')}when:\n  all:\n    - { fact: work_item, path: state, operator: ${operator}, value: ${from} }\ndo:\n  - comment: { text: 'moving on' }\n  - transition: { to: ⟦${right}|${wrong}⟧ }\n`;
    },
  },
  {
    kind: 'state-unreachable',
    code: 'AP_META_UNREACHABLE',
    rule: (s, v, id) =>
      pick(
        [
          `${head(id, s, 'issue')}do:\n  - transition: { to: ⟦resolved|archived⟧ }\n`,
          `${head(id, s, 'issue')}when:\n  all:\n    - { fact: work_item, path: state, operator: equal, value: ⟦resolved|archived⟧ }\ndo:\n  - comment: { text: 'old' }\n`,
          `${head(id, s, 'issue')}when:\n  all:\n    - { fact: work_item, path: state, operator: in, value: [open, ⟦resolved|archived⟧] }\ndo:\n  - comment: { text: 'either' }\n`,
        ],
        v,
      ),
  },
  {
    kind: 'node-unreachable',
    code: 'AP_META_UNREACHABLE',
    rule: (s, v, id) =>
      `${head(id, s, 'story', 'node.reached')}do:\n${pick(
        [
          '  - complete_node: { node: ⟦testing|hotfix⟧ }\n',
          "  - rollback_node: { node: ⟦testing|hotfix⟧, reason: 'again' }\n",
          "  - create_subtask: { node: ⟦testing|hotfix⟧, name: 'check it' }\n",
        ],
        v,
      )}`,
  },
  {
    kind: 'role',
    code: 'AP_META_UNKNOWN_ROLE',
    rule: (s, v, id) =>
      `${head(id, s, 'issue', 'work_item.created')}do:\n  - assign: { role: ⟦operator|${pick(['developer', 'owner', 'qa'], v)}⟧, users: ['${BOB}'] }\n`,
  },
  {
    kind: 'relation-rule',
    code: 'AP_META_UNKNOWN_RELATION_RULE',
    rule: (s, v, id) => {
      const other = SPACES[(SPACES.indexOf(s) + 1) % SPACES.length];
      return `${head(id, s, 'story')}do:\n  - bind: { relation_rule: ⟦rule_${s}|${pick(['rule_nowhere', `rule_${other}`, 'rule_demo_platform'], v)}⟧, work_items: ['{{event.workItem.id}}'] }\n`;
    },
  },
  {
    kind: 'user',
    code: 'AP_META_UNKNOWN_USER',
    rule: (s, v, id) =>
      `${head(id, s, 'issue', 'work_item.created')}do:\n  - assign: { role: operator, users: [⟦'${ALICE}'|'${pick(['7400000000000000099', '7499999999999999999', '7400000000000000010'], v)}'⟧] }\n`,
  },
  {
    kind: 'space',
    code: 'AP_META_UNKNOWN_SPACE',
    rule: (s, v, id) =>
      `id: ${id}\non:\n  event: work_item.created\n  project: [⟦${s}|${pick(['nowhere', `${s}x`, s.toUpperCase()], v)}⟧]\n  work_item_type: [issue]\ndo:\n  - comment: { text: 'hello' }\n`,
  },
  {
    kind: 'type',
    code: 'AP_META_UNKNOWN_TYPE',
    rule: (s, v, id) =>
      `id: ${id}\non:\n  event: work_item.created\n  project: [${s}]\n  work_item_type: [⟦issue|${pick(['bug', 'task', 'Issue'], v)}⟧]\ndo:\n  - comment: { text: 'hello' }\n`,
  },
];

export interface GeneratedRule {
  file: string;
  /** The rule with the mistake. */
  wrong: string;
  /** The same rule without it. */
  right: string;
  expected: { line: number; column: number; code: ErrorCode };
}

export const VARIANTS = 3;

/** Every kind × every space × three variants: 17 × 5 × 3 = 255 rules. */
export function mistakeCorpus(): GeneratedRule[] {
  const rules: GeneratedRule[] = [];
  for (const mistake of MISTAKE_KINDS)
    for (const space of SPACES)
      for (let variant = 0; variant < VARIANTS; variant++) {
        const id = `${mistake.kind}-${space}-${variant}`;
        const { wrong, right, at } = fill(mistake.rule(space, variant, id));
        rules.push({ file: `${id}.yaml`, wrong, right, expected: { ...at, code: mistake.code } });
      }
  return rules;
}

/** The slot filled both ways, and the 1-based line and column where it starts. */
function fill(text: string): { wrong: string; right: string; at: { line: number; column: number } } {
  const slot = /⟦([^|⟧]*)\|([^⟧]*)⟧/.exec(text);
  if (!slot || /⟦/.test(text.slice(slot.index + slot[0].length)))
    throw new Error(`a generated rule needs exactly one slot: ${text}`);
  const before = text.slice(0, slot.index);
  const after = text.slice(slot.index + slot[0].length);
  const lines = before.split('\n');
  return {
    right: `${before}${slot[1]}${after}`,
    wrong: `${before}${slot[2]}${after}`,
    at: { line: lines.length, column: (lines.at(-1) ?? '').length + 1 },
  };
}

/**
 * `count` valid rules spread evenly over the five spaces, of every shape the corpus has (its
 * rules without their mistakes), each naming the same users: what `check --live` reads for
 * them is each space's metadata and one user look-up.
 */
export function cleanRules(count: number): Array<{ file: string; text: string }> {
  const corpus = mistakeCorpus();
  // Per space, every kind's first variant before any second one: 20 rules cover every shape.
  const variant = (r: GeneratedRule) => Number(r.file.slice(-'0.yaml'.length, -'.yaml'.length));
  const bySpace = SPACES.map((space) =>
    corpus.filter((r) => r.file.includes(`-${space}-`)).sort((a, b) => variant(a) - variant(b)),
  );
  return Array.from({ length: count }, (_, i) => {
    const pool = bySpace[i % SPACES.length] as GeneratedRule[];
    const rule = pool[Math.floor(i / SPACES.length) % pool.length] as GeneratedRule;
    const id = `${rule.file.slice(0, -'.yaml'.length)}-${i}`;
    return { file: `${id}.yaml`, text: rule.right.replace(/^id: .*$/m, `id: ${id}`) };
  });
}
