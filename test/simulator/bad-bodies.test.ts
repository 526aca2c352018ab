/**
 * Every served route, fed malformed bodies: each answer is a documented client error in the
 * API's envelope (9999 / 2xxxx / 3xxxx), never a 500 and never an exception inside the simulator.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVED_ROUTES } from '../../src/simulator/index.ts';
import { ISSUE_OPEN, PK, STORY, startApi, type Api } from './helpers.ts';

let api: Api;
beforeAll(async () => {
  api = await startApi({ rateLimits: false });
});
afterAll(async () => {
  expect(api.sim.internalErrors()).toEqual([]);
  await api.sim.close();
});

const PARAMS: Record<string, string> = {
  project_key: PK,
  work_item_type_key: 'story',
  work_item_id: String(STORY),
  node_id: 'doing',
  task_id: '6432700001',
  comment_id: '7565422599569830001',
  template_id: '3001',
};

function fill(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => PARAMS[name] ?? 'x');
}

const WRONG_TYPES = JSON.stringify({
  work_item_ids: 'x',
  work_item_type_keys: 'story',
  work_item_type_key: 7,
  update_fields: 5,
  field_value_pairs: [{ field_key: 'priority', field_value: 'P0' }],
  fields: 7,
  search_group: [],
  transition_id: {},
  action: 3,
  content: 4,
  rich_text: 'x',
  instances: 'x',
  node_id: 9,
  name: [],
  page_size: 'big',
  expand: 1,
  project_key: 12,
  is_aborted: 'yes',
  relation_rule_id: 1,
  user_keys: 'u',
  task_id: 'abc',
  plugin_id: 1,
});

const BAD_BODIES = ['{', '[]', '"text"', '42', 'null', '{}', WRONG_TYPES, '{"a":{"b":[1,{"c":null}]}}'];
const routes = SERVED_ROUTES.filter((r) => r.method !== 'GET');

function documented(answer: {
  status: number;
  json: { err_code?: number; error?: { code?: number } };
}): boolean {
  const code = answer.json.err_code ?? answer.json.error?.code;
  return answer.status < 500 && typeof code === 'number' && code !== 50006;
}

describe('bad bodies on every route', () => {
  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    for (const body of BAD_BODIES) {
      const answer = await api.raw(route.method, fill(route.path), body, {
        'content-type': 'application/json',
        'x-plugin-token': api.token,
        'x-user-key': api.sim.credentials.userKey,
      });
      // Some bodies are acceptable to some routes (e.g. `{}` to field/all): only crashes fail.
      if (answer.json.err_code !== 0 && (answer.json.error as { code?: number } | undefined)?.code !== 0) {
        expect(documented(answer), `${body} -> ${answer.status} ${answer.text}`).toBe(true);
      }
    }
  });

  it('survives arbitrary JSON on the write endpoints the engine uses most', async () => {
    const targets = [
      `/open_api/${PK}/work_item/create`,
      `/open_api/${PK}/work_item/story/search/params`,
      `/open_api/${PK}/workflow/issue/${ISSUE_OPEN}/node/state_change`,
      `/open_api/${PK}/workflow/story/${STORY}/node/doing/operate`,
      `/open_api/${PK}/work_item/story/${STORY}/comment/create`,
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.jsonValue(), async (path, value) => {
        const answer = await api.call('POST', path, value);
        return answer.status < 500;
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
