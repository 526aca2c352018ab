/**
 * The engine's rule set: loaded from the rules directory, reloaded when it changes, counted and
 * logged. A refused reload keeps the previous set running.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { buildRuleIndex, type RuleIndex } from '../match/rule-index.ts';
import type { Metrics } from '../ops/metrics.ts';
import { unsetSecrets } from '../rules/check-secrets.ts';
import { formatDiagnostic, loadRules } from '../rules/load-rules.ts';
import type { Rule } from '../rules/rule.ts';
import { RuleRegistry } from '../server/rule-registry.ts';

export interface EngineRulesOptions {
  config: Readonly<Config>;
  log: Logger;
  metrics: Pick<Metrics, 'ruleReloads' | 'rulesLoaded'>;
  now: () => number;
  /** A new set was accepted (the drift watch checks it against the space at once). */
  onAccepted: () => void;
}

/** Loads the rules once and watches the directory. */
export async function startEngineRules(options: EngineRulesOptions): Promise<RuleRegistry<RuleIndex>> {
  const { config, log, metrics } = options;
  const rules = new RuleRegistry<RuleIndex>({
    dir: config.rulesDir,
    load: async (dir) => {
      const { rules, diagnostics } = await loadRules([dir]);
      logUnsetSecrets(rules, config, log);
      return { rules, diagnostics };
    },
    buildIndex: buildRuleIndex,
    now: options.now,
    onReload: (outcome) => {
      metrics.ruleReloads.inc({ result: outcome.ok ? 'ok' : 'refused' });
      if (outcome.ok) options.onAccepted();
      metrics.rulesLoaded.set(rules.lastOutcome?.rules ?? 0);
      if (outcome.ok) log.info({ rules: outcome.rules }, 'rules loaded');
      else
        log.error(
          { diagnostics: outcome.diagnostics.map(formatDiagnostic) },
          'rules refused; the previous set keeps running',
        );
    },
  });
  const first = await rules.reload();
  if (!first.ok) log.warn('starting with no rules: fix the diagnostics above and the set reloads by itself');
  rules.watch();
  return rules;
}

/**
 * A rule naming a secret this engine lacks still loads (the others must not stop for it), but
 * says so at every load: its http and api steps would end in the dead-letter queue.
 */
function logUnsetSecrets(rules: readonly Rule[], config: Readonly<Config>, log: Logger): void {
  const unset = unsetSecrets(rules, new Set(Object.keys(config.secrets)));
  if (unset.length === 0) return;
  log.warn(
    { code: 'AP_SECRET_UNKNOWN', diagnostics: unset.map(formatDiagnostic) },
    'rules name secrets that are not set: their steps are dead-lettered (AP_SECRET_UNKNOWN) until they are',
  );
}
