/**
 * Dead letters: list (with the API's answer), retry with the run's own plan or planned again with
 * the current rule version, drop, and retry a filtered set. Every action is audited with who did
 * it (`dashboard` or `admin-api`) and which plan it used.
 */
import { createAuditWriter } from '../audit/audit-writer.ts';
import { AutopilotError } from '../errors.ts';
import type { Run } from '../plan/run.ts';
import type { AuditStore, RunQueue, RunRecord } from '../store/ports.ts';
import { runView } from './page-data.ts';

export type RetryPlan = 'original' | 'current';

export interface DeadLetterDeps {
  runs: RunQueue;
  audit: AuditStore;
  now: () => number;
  /** The dead run planned again from its stored event with the rule version running now. */
  replan: (record: RunRecord) => Promise<Run>;
  /** The running version of a rule, when it is loaded. */
  currentVersion: (ruleId: string) => string | undefined;
  onRequeued?: () => void;
}

export interface DeadLetterFilter {
  ruleId?: string;
  /** The API's err_code, or our code (`AP_API_PERMANENT`, ...). */
  error?: string;
}

const CAP = 1000;

function matches(record: RunRecord, filter: DeadLetterFilter): boolean {
  if (filter.ruleId !== undefined && record.run.ruleId !== filter.ruleId) return false;
  if (filter.error === undefined) return true;
  const e = record.lastError;
  return e?.code === filter.error || String(e?.errCode ?? '') === filter.error;
}

export async function listDeadLetters(
  deps: DeadLetterDeps,
  q: DeadLetterFilter & { offset: number; limit: number },
) {
  const dead = (await deps.runs.list({ state: 'dead', ruleId: q.ruleId, limit: CAP })).filter((r) =>
    matches(r, q),
  );
  return {
    total: dead.length,
    capped: dead.length >= CAP,
    offset: q.offset,
    items: dead.slice(q.offset, q.offset + q.limit).map((r) => ({
      ...runView(r),
      failedAction: r.run.actions[r.nextAction]?.type,
      currentVersion: deps.currentVersion(r.run.ruleId),
    })),
  };
}

export async function retryDeadLetter(deps: DeadLetterDeps, id: string, plan: RetryPlan, by: string) {
  const record = await deps.runs.get(id);
  if (record?.state !== 'dead') throw new AutopilotError('AP_NOT_FOUND', `no dead letter '${id}'`);
  const replanned = plan === 'current' ? await deps.replan(record) : undefined;
  if (!(await deps.runs.requeue(id, deps.now(), replanned))) {
    throw new AutopilotError('AP_NOT_FOUND', `no dead letter '${id}'`);
  }
  const run = replanned ?? record.run;
  await createAuditWriter(deps.audit, deps.now).runRequeued(run, by, {
    plan,
    ruleVersion: run.ruleVersion,
    fromAction: record.nextAction,
  });
  deps.onRequeued?.();
  return { ok: true, requeued: id, plan, ruleVersion: run.ruleVersion, fromAction: record.nextAction };
}

export async function dropDeadLetter(deps: DeadLetterDeps, id: string, by: string) {
  const record = await deps.runs.get(id);
  if (record?.state !== 'dead' || !(await deps.runs.drop(id))) {
    throw new AutopilotError('AP_NOT_FOUND', `no dead letter '${id}'`);
  }
  await createAuditWriter(deps.audit, deps.now).runDropped(record.run, by);
  return { ok: true, dropped: id };
}

/** Retries every dead letter the filter selects (at most 1,000 at once); failures are reported, not fatal. */
export async function retryFiltered(
  deps: DeadLetterDeps,
  filter: DeadLetterFilter,
  plan: RetryPlan,
  by: string,
) {
  const dead = (await deps.runs.list({ state: 'dead', ruleId: filter.ruleId, limit: CAP })).filter((r) =>
    matches(r, filter),
  );
  const requeued: string[] = [];
  const failed: Array<{ id: string; code: string; message: string }> = [];
  for (const record of dead) {
    try {
      await retryDeadLetter(deps, record.run.id, plan, by);
      requeued.push(record.run.id);
    } catch (error) {
      const coded = error as { code?: string; message?: string };
      failed.push({ id: record.run.id, code: coded.code ?? 'AP_INTERNAL', message: String(coded.message) });
    }
  }
  return { ok: failed.length === 0, plan, requeued, failed };
}
