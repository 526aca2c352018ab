/**
 * The README's table of Feishu event types: every sample body it links to becomes the engine
 * type and the `change` kind that its row says, so a rule author can trust the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeFeishuWebhook } from '../src/ingest/feishu/normalize-webhook.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const rows = readme
  .split('\n')
  .filter((line) => line.startsWith('| `W') || line.startsWith('| `T'))
  .filter((line) => line.includes('](test/fixtures/feishu/new/'));

describe('README: Feishu webhook samples', () => {
  it('links a sample body for every Feishu event type row', () => {
    expect(rows.length).toBeGreaterThanOrEqual(11);
  });

  for (const row of rows) {
    const [feishu = '', engine = '', change = '', samples = ''] = row
      .split(' | ')
      .map((c) => c.replace(/^\| /, ''));
    const engineTypes = [...engine.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]);
    const kind = /`kind: (\w+)`/.exec(change)?.[1];
    for (const [, file] of samples.matchAll(/\]\((test\/fixtures\/feishu\/new\/[\w-]+\.json)\)/g)) {
      it(`${file} is a ${feishu.split(' ')[0]} delivery that becomes ${engineTypes.join(' / ')}`, () => {
        const body: unknown = JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
        const event = normalizeFeishuWebhook(body, { receivedAt: Date.now() });
        const eventType = (body as { header: { event_type: string } }).header.event_type;
        expect(feishu).toContain(`\`${eventType}\``);
        expect(engineTypes).toContain(event.type);
        if (kind === undefined) expect(event.change).toBeUndefined();
        else expect(event.change?.kind).toBe(kind);
      });
    }
  }
});
