/**
 * The demo tenant `autopilot sim` serves: the configuration from seed-config.ts plus a few
 * work items at different workflow positions, subtasks, a comment and a relation binding.
 * Also loads a tenant from a YAML/JSON seed file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AutopilotError } from '../../errors.ts';
import { resolvePairs, type FieldPair } from './fields.ts';
import { DEMO, USERS, demoConfig, emptyTenant } from './seed-config.ts';
import { Tenant } from './tenant.ts';
import type { TenantData, WorkItem } from './types.ts';
import { newWorkItem } from './work-item-factory.ts';
import { confirmNode, moveStatus, nodeFlowStateKey } from './workflow.ts';

export { DEMO, USERS } from './seed-config.ts';

function create(
  tenant: Tenant,
  projectKey: string,
  typeKey: string,
  name: string,
  pairs: FieldPair[],
  now: number,
): WorkItem {
  const space = tenant.space(projectKey);
  const type = tenant.type(space, typeKey);
  const resolved = resolvePairs(tenant, space.project_key, typeKey, pairs);
  return newWorkItem(tenant, { space, type, name, pairs: resolved, operator: USERS.alice, now });
}

function confirm(tenant: Tenant, item: WorkItem, nodeIds: string[], now: number): void {
  const template = tenant.template(item.template_id);
  for (const nodeId of nodeIds) {
    confirmNode(template, item, nodeId, item.fields, [], now);
    moveStatus(item, nodeFlowStateKey(item), USERS.alice, now);
  }
}

const roles = (pm: string, rd: string, qa: string) => ({
  key: 'role_owners',
  value: [
    { role: 'pm', owners: [pm] },
    { role: 'rd', owners: [rd] },
    { role: 'qa', owners: [qa] },
  ],
});

function seedItems(tenant: Tenant, now: number): void {
  const pk = DEMO.projectKey;
  const checkout = create(
    tenant,
    pk,
    'story',
    'Checkout redesign',
    [{ key: 'priority', value: { value: 'P1' } }, roles(USERS.alice, USERS.bob, USERS.carol)],
    now,
  );
  confirm(tenant, checkout, ['start'], now);
  create(
    tenant,
    pk,
    'story',
    'Dark mode',
    [{ key: 'priority', value: { value: 'P2' } }, roles(USERS.alice, USERS.bob, USERS.carol)],
    now,
  );
  const search = create(
    tenant,
    pk,
    'story',
    'Search v2',
    [
      { key: 'priority', value: { value: 'P0' } },
      { key: 'field_test_plan', value: 'https://example.com/test-plans/search-v2' },
      roles(USERS.alice, USERS.bob, USERS.carol),
    ],
    now,
  );
  confirm(tenant, search, ['start', 'doing'], now);
  create(
    tenant,
    pk,
    'issue',
    'Crash on login',
    [
      { key: 'priority', value: { value: 'P0' } },
      { key: 'field_severity', value: { value: 'critical' } },
      { key: '_field_linked_story', value: checkout.id },
      { key: 'role_owners', value: [{ role: 'reporter', owners: [USERS.carol] }] },
    ],
    now,
  );
  const typo = create(
    tenant,
    pk,
    'issue',
    'Typo on pricing page',
    [
      { key: 'priority', value: { value: 'P3' } },
      { key: 'role_owners', value: [{ role: 'operator', owners: [USERS.bob] }] },
    ],
    now,
  );
  moveStatus(typo, 'in_progress', USERS.bob, now);
  const payments = create(tenant, DEMO.remoteProjectKey, 'story', 'Payments API', [], now);
  seedLinks(tenant, checkout, payments, now);
}

function seedLinks(tenant: Tenant, checkout: WorkItem, payments: WorkItem, now: number): void {
  for (const [name, passed] of [
    ['Write unit tests', false],
    ['Update API docs', true],
  ] as const) {
    tenant.data.subtasks.push({
      id: tenant.nextSubtaskId(),
      project_key: checkout.project_key,
      work_item_id: checkout.id,
      node_id: 'doing',
      name,
      passed,
      assignee: [USERS.bob],
      role_assignee: [],
      note: '',
      created_at: now,
      begin: now,
      finish: passed ? now : 0,
    });
  }
  tenant.data.comments.push({
    id: tenant.nextCommentId(),
    project_key: checkout.project_key,
    work_item_id: checkout.id,
    work_item_type_key: 'story',
    operator: USERS.alice,
    content: 'Kick-off done, design in review.',
    created_at: now,
  });
  tenant.data.bindings.push({
    rule_id: DEMO.relationRuleId,
    work_item_id: checkout.id,
    remote_project_key: payments.project_key,
    remote_work_item_type_key: 'story',
    remote_work_item_id: payments.id,
    chat_group_merge: 0,
  });
}

/** The demo tenant: configuration and work items, all timestamps at `now`. */
export function demoTenant(now: number): TenantData {
  const tenant = new Tenant(demoConfig());
  seedItems(tenant, now);
  return tenant.data;
}

const ARRAY_KEYS = [
  'users',
  'spaces',
  'types',
  'fields',
  'templates',
  'work_items',
  'subtasks',
  'comments',
  'relation_rules',
  'bindings',
  'op_records',
  'parent_relations',
] as const;

/**
 * A seed file is a tenant in the /_sim/state shape, in YAML or JSON. With `extends: demo`
 * (the default) its lists are added to the demo tenant's and its other keys override it;
 * with `extends: empty` it starts from a tenant holding only the plugin and the bot user.
 */
export function loadSeedFile(path: string, now: number): TenantData {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AutopilotError('AP_CONFIG_INVALID', `seed file ${path}: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new AutopilotError('AP_CONFIG_INVALID', `seed file ${path}: expected a mapping at the top level`);
  }
  const seed = doc as Record<string, unknown>;
  const base = seed.extends === 'empty' ? emptyTenant() : demoTenant(now);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(seed)) {
    if (key === 'extends') continue;
    if ((ARRAY_KEYS as readonly string[]).includes(key)) {
      if (!Array.isArray(value))
        throw new AutopilotError('AP_CONFIG_INVALID', `seed file ${path}: ${key} must be a list`);
      merged[key] = [
        ...((base[key as (typeof ARRAY_KEYS)[number]] as unknown[] | undefined) ?? []),
        ...value,
      ];
    } else if (key in base) {
      merged[key] = value;
    } else {
      throw new AutopilotError('AP_CONFIG_INVALID', `seed file ${path}: unknown key ${key}`);
    }
  }
  return merged as unknown as TenantData;
}
