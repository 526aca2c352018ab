import { idempotencyKey } from '../../src/plan/idempotency.ts';
import { loadRules } from '../../src/rules/load-rules.ts';
import { REPO_ROOT } from './run-autopilot.ts';

/** The X-IDEM-UUID a write of `ruleId`'s action `index` must carry for `eventId`, computed independently. */
export async function expectedKey(eventId: string, ruleId: string, index: number): Promise<string> {
  const { rules } = await loadRules([`rules/${ruleId}.yaml`], { cwd: REPO_ROOT });
  const rule = rules[0];
  if (!rule) throw new Error(`rule ${ruleId} did not load`);
  return idempotencyKey(eventId, ruleId, rule.version, index);
}
