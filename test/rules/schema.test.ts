import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ENGINE_EVENT_TYPES, WORK_ITEM_EVENT_TYPES } from '../../src/events/event.ts';
import { OPERATOR_NAMES } from '../../src/match/operator-names.ts';
import { ACTION_NAMES, STEP_KEYS, STEP_TYPES } from '../../src/rules/action-names.ts';
import { FACT_ROOTS, STEP_FACTS } from '../../src/rules/facts.ts';
import { RULE_SCHEMA } from '../../src/rules/rule-schema.ts';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  definitions?: Record<string, Schema>;
  anyOf?: Schema[];
  enum?: unknown[];
};
const schema = RULE_SCHEMA as Schema;
const defs = schema.definitions ?? {};

describe('schema/rule.schema.json', () => {
  it('compiles in ajv strict mode without a warning', () => {
    const warnings: unknown[] = [];
    const logger = {
      log: () => undefined,
      warn: (...a: unknown[]) => warnings.push(a),
      error: (...a: unknown[]) => warnings.push(a),
    };
    const validate = new Ajv({ strict: true, allErrors: true, logger }).compile(schema);
    expect(typeof validate).toBe('function');
    expect(warnings).toEqual([]);
  });

  it('lists exactly the known actions, facts, operators and event types', () => {
    const stepKeys = Object.keys(defs.step?.properties ?? {}).filter((k) => !STEP_KEYS.has(k));
    expect(stepKeys).toEqual([...STEP_TYPES]);
    expect(STEP_TYPES.slice(0, ACTION_NAMES.length)).toEqual([...ACTION_NAMES]);
    expect(defs.condition?.properties?.operator?.enum).toEqual([...OPERATOR_NAMES]);
    expect(defs.condition?.properties?.fact?.enum).toEqual([...FACT_ROOTS, ...STEP_FACTS]);
    expect(defs.eventType?.anyOf?.[0]?.enum).toEqual([...WORK_ITEM_EVENT_TYPES, ...ENGINE_EVENT_TYPES]);
  });

  it('describes every property so editors can show it', () => {
    const undocumented: string[] = [];
    const visit = (node: Schema, where: string): void => {
      for (const [key, child] of Object.entries(node.properties ?? {})) {
        if (child === (true as unknown)) continue;
        if (typeof child.description !== 'string' && typeof child.$ref !== 'string')
          undocumented.push(`${where}.${key}`);
        visit(child, `${where}.${key}`);
      }
    };
    visit(schema, 'rule');
    for (const [name, def] of Object.entries(defs)) visit(def, name);
    expect(undocumented).toEqual([]);
    for (const name of ACTION_NAMES) expect(defs[`action_${name}`]?.examples).toHaveLength(1);
  });
});
