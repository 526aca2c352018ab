/**
 * Hot reload of the rules dir in a running engine: a valid change replaces the set; an invalid
 * one leaves the old set running, and the log and the admin API say file:line:column.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admin } from './support/admin.ts';
import { eventually, startTestEngine, type TestEngine } from './support/engine-harness.ts';

const rule = (id: string, event = 'webhook.deploys') =>
  `id: ${id}\ndescription: rule ${id}\non:\n  event: ${event}\ndo:\n  - http: { url: 'https://example.com/${id}' }\n`;

let t: TestEngine;
beforeEach(async () => {
  t = await startTestEngine({ rules: { 'first.yaml': rule('first') } });
});
afterEach(async () => {
  await t.close();
});

const ids = () => t.engine.rules.current.rules.map((r) => r.id).sort();

describe('hot reload of the rules dir', () => {
  it('a valid new file, an edited file and a removed file each replace the running set', async () => {
    expect(ids()).toEqual(['first']);
    writeFileSync(join(t.rulesDir, 'second.yaml'), rule('second'));
    await eventually(() => ids().length === 2 || undefined, 'the new rule to load');
    expect(ids()).toEqual(['first', 'second']);

    writeFileSync(join(t.rulesDir, 'second.yaml'), rule('second', 'work_item.created'));
    await eventually(
      () =>
        (t.engine.rules.current.byId.get('second')?.on as { event: string }).event === 'work_item.created' ||
        undefined,
      'the edited rule to load',
    );

    rmSync(join(t.rulesDir, 'first.yaml'));
    await eventually(() => (ids().length === 1 ? true : undefined), 'the removed rule to go');
    expect(ids()).toEqual(['second']);
    expect(t.logs.filter((l) => l.msg === 'rules loaded').length).toBeGreaterThanOrEqual(4);
  });

  it('a change in a subdirectory of the rules dir (which is loaded recursively) reloads too', async () => {
    const nested = join(t.rulesDir, 'team-a');
    mkdirSync(nested);
    writeFileSync(join(nested, 'nested.yaml'), rule('nested'));
    await eventually(() => ids().length === 2 || undefined, 'the nested rule to load');
    writeFileSync(join(nested, 'nested.yaml'), rule('nested', 'work_item.created'));
    await eventually(
      () =>
        (t.engine.rules.current.byId.get('nested')?.on as { event: string }).event === 'work_item.created' ||
        undefined,
      'the edited nested rule to load',
    );
  });

  it('an invalid change leaves the old set running and reports file:line:column in the log and the admin API', async () => {
    const before = t.engine.rules.current;
    const broken = join(t.rulesDir, 'broken.yaml');
    // Line 4, column 10: the event name is not a known event.
    writeFileSync(
      broken,
      'id: broken\ndescription: broken\non:\n  event: no.such.event\ndo:\n  - http: { url: "https://example.com" }\n',
    );
    await eventually(() => t.engine.rules.lastOutcome?.ok === false || undefined, 'the refused reload');
    expect(t.engine.rules.current).toBe(before);
    expect(ids()).toEqual(['first']);

    const refused = t.logs.find((l) => l.msg === 'rules refused; the previous set keeps running');
    expect(refused?.level).toBe(50);
    expect((refused?.diagnostics as string[])[0]).toMatch(new RegExp(`^${broken}:4:\\d+: `));

    const listed = await admin(t.url, 'GET', '/api/rules');
    const lastReload = (
      listed.body as { lastReload: { ok: boolean; diagnostics: Array<Record<string, unknown>> } }
    ).lastReload;
    expect(lastReload.ok).toBe(false);
    expect(lastReload.diagnostics[0]).toMatchObject({ file: broken, line: 4, column: expect.any(Number) });
    expect(lastReload.diagnostics[0]?.location).toMatch(new RegExp(`^${broken}:4:\\d+$`));
    expect((listed.body as { rules: Array<{ id: string }> }).rules.map((r) => r.id)).toEqual(['first']);

    const reload = await admin(t.url, 'POST', '/api/reload');
    expect(reload.status).toBe(422);
    expect(reload.body).toMatchObject({ ok: false, rules: 1, diagnostics: [{ file: broken, line: 4 }] });
    // One error line per refused reload, whether the watcher or the admin API asked for it.
    const refusals = (await t.engine.metrics.ruleReloads.get()).values.find(
      (v) => v.labels.result === 'refused',
    );
    const lines = t.logs.filter((l) => l.msg === 'rules refused; the previous set keeps running');
    expect(refusals?.value).toBeGreaterThanOrEqual(2);
    expect(lines).toHaveLength(refusals?.value ?? -1);

    // Fixing the file brings the whole new set in.
    writeFileSync(broken, rule('broken'));
    await eventually(() => ids().length === 2 || undefined, 'the fixed set');
    expect(ids()).toEqual(['broken', 'first']);
  });

  it('a YAML syntax error is refused with its position; so is a duplicate rule id across files', async () => {
    // The flow sequence opened on line 2 is still open at the end of the input (line 3).
    writeFileSync(join(t.rulesDir, 'bad-yaml.yaml'), 'id: bad-yaml\ndescription: [unclosed\n');
    const syntax = await admin(t.url, 'POST', '/api/reload');
    expect(syntax.status).toBe(422);
    expect(syntax.body).toMatchObject({
      ok: false,
      diagnostics: [{ file: join(t.rulesDir, 'bad-yaml.yaml'), line: 3 }],
    });
    rmSync(join(t.rulesDir, 'bad-yaml.yaml'));
    writeFileSync(join(t.rulesDir, 'first.yml'), rule('first'));
    const duplicate = await admin(t.url, 'POST', '/api/reload');
    expect(duplicate.status).toBe(422);
    expect(ids()).toEqual(['first']);
  });

  it('a reload storm (many writes at once) ends with the last state of the dir', async () => {
    for (let i = 0; i < 20; i += 1) writeFileSync(join(t.rulesDir, `r${i}.yaml`), rule(`r${i}`));
    await eventually(() => ids().length === 21 || undefined, 'all 21 rules');
    const results = await Promise.all([1, 2, 3].map(() => admin(t.url, 'POST', '/api/reload')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ids()).toHaveLength(21);
  });

  it('a rules dir that does not exist at start is loaded once it appears', async () => {
    const late = await startTestEngine({ env: { AUTOPILOT_RULES: join(t.dir, 'late-rules') } });
    try {
      expect(late.engine.rules.current.rules).toEqual([]);
      expect(late.engine.rules.lastOutcome?.diagnostics[0]?.message).toMatch(/no such file or directory/);
      mkdirSync(join(t.dir, 'late-rules'));
      writeFileSync(join(t.dir, 'late-rules', 'late.yaml'), rule('late'));
      await eventually(() => late.engine.rules.current.rules.length === 1 || undefined, 'the late rules dir');
      // And it is watched from then on.
      writeFileSync(join(t.dir, 'late-rules', 'later.yaml'), rule('later'));
      await eventually(() => late.engine.rules.current.rules.length === 2 || undefined, 'a change in it');
    } finally {
      await late.close();
    }
  });
});
