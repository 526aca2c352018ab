/**
 * `autopilot check --live` / `--offline`: the rules' references (rule-refs.ts) checked against
 * the tenant's metadata, read through the rate limiter from the Open API (the built-in
 * simulator's demo tenant without credentials) or from a copy saved with `--cache`.
 */
import type { Config } from '../config/config.ts';
import { usesSimulator } from '../config/load-config.ts';
import { createLimitedRead } from '../engine/limited-read.ts';
import type { ReadData } from '../engine/work-item-loader.ts';
import { AutopilotError } from '../errors.ts';
import { createLocalLimiter } from '../executor/rate-limiter.ts';
import { OpenApiClient } from '../openapi/client.ts';
import { byPosition, type RuleDiagnostic } from '../rules/diagnostic.ts';
import { locate } from '../rules/locate.ts';
import type { Rule } from '../rules/rule.ts';
import { parseYamlSafely } from '../rules/yaml-safe.ts';
import { checkRefs } from './check-refs.ts';
import { readTenantMeta } from './read-meta.ts';
import { ruleRefs, type Ref } from './rule-refs.ts';
import { emptyMeta, type MetaSource, type TenantMeta } from './space-meta.ts';

interface RuleReferences {
  rule: Rule;
  refs: Ref[];
  at: (path: (string | number)[], atKey?: boolean) => { line: number; column: number };
}

/** Every rule's references, located in its file as loaded. */
export function referencesOf(rules: readonly Rule[]): RuleReferences[] {
  return rules.map((rule) => {
    const yaml = parseYamlSafely(rule.source.text ?? '');
    return {
      rule,
      refs: yaml.value === undefined ? [] : ruleRefs(yaml.value),
      at: (path, atKey) => locate(yaml.doc, yaml.lineCounter, path, atKey),
    };
  });
}

/** The spaces and user keys the rules name: what has to be read. */
export function wantedBy(references: readonly RuleReferences[]): { spaces: string[]; users: string[] } {
  const spaces = new Set<string>();
  const users = new Set<string>();
  for (const { refs } of references)
    for (const ref of refs) {
      if (ref.kind === 'space') spaces.add(ref.space);
      if (ref.kind === 'user') users.add(ref.user);
    }
  return { spaces: [...spaces].sort(), users: [...users].sort() };
}

export function metaDiagnostics(
  references: readonly RuleReferences[],
  meta: TenantMeta,
  savedAs?: string,
): RuleDiagnostic[] {
  const namedSpaces = wantedBy(references).spaces;
  const diagnostics: RuleDiagnostic[] = [];
  for (const { rule, refs, at } of references) {
    for (const issue of checkRefs(refs, { meta, namedSpaces, ...(savedAs !== undefined && { savedAs }) })) {
      diagnostics.push({
        file: rule.source.file,
        ...at(issue.at, issue.atKey),
        code: issue.code,
        message: `${issue.message} [${issue.code}]`,
      });
    }
  }
  return dedupe(diagnostics).sort(byPosition);
}

/** The problems of each rule that has any, by rule id. */
export function problemsByRule(
  references: readonly RuleReferences[],
  meta: TenantMeta,
): Map<string, RuleDiagnostic[]> {
  const ruleOf = new Map(references.map(({ rule }) => [rule.source.file, rule.id]));
  const byRule = new Map<string, RuleDiagnostic[]>();
  for (const diagnostic of metaDiagnostics(references, meta)) {
    const id = ruleOf.get(diagnostic.file);
    if (id === undefined) continue;
    byRule.set(id, [...(byRule.get(id) ?? []), diagnostic]);
  }
  return byRule;
}

export interface Tenant {
  read: ReadData;
  source: MetaSource;
  close(): Promise<void>;
}

/**
 * The configured Open API, or without credentials the built-in simulator (its demo tenant, in
 * this process), behind a local rate limiter: the engine's budgets per token and endpoint.
 */
export async function openTenant(config: Readonly<Config>, now: () => number = Date.now): Promise<Tenant> {
  const simulated = usesSimulator(config);
  const sim = simulated ? await (await import('../simulator/server.ts')).startSimulator() : undefined;
  if (!sim && !config.feishu.baseUrl)
    throw new AutopilotError(
      'AP_CONFIG_INVALID',
      '--live reads the tenant: set FEISHU_BASE_URL beside the credentials',
    );
  const api = new OpenApiClient(
    sim
      ? {
          baseUrl: sim.baseUrl,
          pluginId: sim.credentials.pluginId,
          pluginSecret: sim.credentials.pluginSecret,
          userKey: sim.credentials.userKey,
        }
      : {
          baseUrl: config.feishu.baseUrl as string,
          pluginId: config.feishu.pluginId as string,
          pluginSecret: config.feishu.pluginSecret as string,
          userKey: config.feishu.userKey as string,
        },
  );
  const read = createLimitedRead({ api, limiter: createLocalLimiter(), now });
  return {
    read,
    source: sim ? 'simulator' : 'api',
    async close() {
      await api.close();
      await sim?.close();
    },
  };
}

export async function readLiveMeta(
  tenant: Tenant,
  wanted: { spaces: string[]; users: string[] },
  now: () => number = Date.now,
): Promise<TenantMeta> {
  return readTenantMeta(tenant.read, wanted, emptyMeta(tenant.source, now()));
}

function dedupe(diagnostics: RuleDiagnostic[]): RuleDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
