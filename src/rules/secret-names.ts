/**
 * How `{{secrets.NAME}}` in a rule names `AUTOPILOT_SECRET_<NAME>` in the environment. A name is
 * upper-case letters, digits and `_`, starting with a letter (`API_KEY`); a rule writes it as in
 * the environment or all in lower case (`{{secrets.api_key}}`), never in mixed case, so that one
 * secret has exactly two spellings and a typo cannot silently name another.
 */

export const SECRET_ENV_PREFIX = 'AUTOPILOT_SECRET_';

/** A secret's name as the environment spells it. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;

const RULE_SPELLING = /^(?:[A-Z][A-Z0-9_]{0,63}|[a-z][a-z0-9_]{0,63})$/;

/** The environment variable a rule's secret name reads. */
export function secretEnvName(nameInRule: string): string {
  return `${SECRET_ENV_PREFIX}${nameInRule.toUpperCase()}`;
}

/** What is wrong with how a template names a secret (`secrets.<rest>`), or undefined. */
export function secretReferenceProblem(rest: readonly string[]): string | undefined {
  const [name, ...deeper] = rest;
  if (name === undefined) return 'name one secret: {{secrets.NAME}}';
  if (deeper.length > 0) return `a secret is text: write {{secrets.${name}}}, without '.${deeper.join('.')}'`;
  if (!RULE_SPELLING.test(name)) {
    return `'${name}' is not a secret name: upper-case letters, digits and _ as in ${SECRET_ENV_PREFIX}<NAME>, or all in lower case`;
  }
  return undefined;
}

/**
 * The `secrets` fact of a template: each secret under both of its spellings (`API_KEY` and
 * `api_key`), keyed by the names the environment gives (upper case).
 */
export function secretsFact(secrets: Readonly<Record<string, string>>): Record<string, string> {
  const fact: Record<string, string> = {};
  for (const [name, value] of Object.entries(secrets)) {
    fact[name] = value;
    fact[name.toLowerCase()] = value;
  }
  return fact;
}
