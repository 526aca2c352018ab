/**
 * The security corpus's run-program cases (issues #12 and #17), against the real engine process:
 * what an event carries is data and is never rendered as a template (#17.2).
 */
import { createdWebhook, deliver } from './support/feishu-webhook.ts';
import { expectThat, runsOf, waitUntil, type Row } from './support/figures.ts';
import { createWorld, FIRST_EXTRA_ISSUE, type World } from './support/world.ts';

const RULES = {
  'echo-name.yaml': `id: echo-name
on:
  event: work_item.created
  work_item_type: [issue]
do:
  - name: first
    comment: { text: 'first step' }
  - comment: { text: 'echo-mark {{event.payload.name}} after {{steps.first.outcome}}' }
`,
};

/** Names that would leak a step result, the rule, or break the template parser if rendered. */
const HOSTILE_NAMES = [
  'inject {{steps.first}}',
  'inject {{rule.id}} {{event.id}}',
  'inject {{ never closed',
  'inject }} {{steps.0.outcome | upper}}',
];

export async function runProgramHardening(row: Row): Promise<string[]> {
  const world = await createWorld({ rules: RULES, extraIssues: HOSTILE_NAMES.length });
  try {
    await world.startEngine();
    return [await eventTextIsData(world, row)];
  } finally {
    await world.close();
  }
}

async function eventTextIsData(world: World, row: Row): Promise<string> {
  const engine = world.engine as NonNullable<World['engine']>;
  for (const [i, name] of HOSTILE_NAMES.entries()) {
    const body = createdWebhook(`render-once-${i}`, { id: FIRST_EXTRA_ISSUE + i, type: 'issue' });
    body.payload.name = name;
    const delivery = await deliver(engine.url, body);
    expectThat(row, delivery.status === 202, `render-once delivery ${i} answered ${delivery.status}`);
  }
  const settled = await waitUntil(async () => {
    const runs = await runsOf(world, 'echo-name');
    return (
      runs.length === HOSTILE_NAMES.length && runs.every((r) => r.state === 'succeeded' || r.state === 'dead')
    );
  }, 60_000);
  expectThat(row, settled, 'render-once runs did not finish within 60 s');
  const echoed = world.sim.tenant.data.comments
    .filter((c) => c.content.startsWith('echo-mark '))
    .map((c) => c.content.slice('echo-mark '.length));
  const expected = HOSTILE_NAMES.map((name) => `${name} after done`);
  const wrong = expected.filter((text) => !echoed.includes(text));
  row.notes.push(
    `event text as data: ${echoed.length}/${HOSTILE_NAMES.length} hostile work item names echoed exactly as sent, ${wrong.length} rendered or lost`,
  );
  expectThat(
    row,
    wrong.length === 0,
    `event text rendered as a template or lost: ${JSON.stringify(wrong)} (got ${JSON.stringify(echoed)})`,
  );
  return `${HOSTILE_NAMES.length} template-looking event texts`;
}
