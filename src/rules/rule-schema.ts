import { Ajv, type ValidateFunction } from 'ajv';
import schema from '../../schema/rule.schema.json' with { type: 'json' };

/** The rule format's JSON Schema (schema/rule.schema.json), the single source of truth. */
export const RULE_SCHEMA: Readonly<Record<string, unknown>> = schema;

let compiled: ValidateFunction | undefined;

/**
 * The schema compiled once by ajv in strict mode with every error reported. `verbose` keeps the
 * failing schema on each error so messages can name the allowed keys and values.
 */
export function ruleValidator(): ValidateFunction {
  compiled ??= new Ajv({ strict: true, allErrors: true, verbose: true }).compile(schema);
  return compiled;
}
