import type { Event } from '../events/event.ts';
import type { MatchResult } from '../match/match-event.ts';
import type { Run } from '../plan/run.ts';
import type { AuditRecord, RunError, StoredEvent } from '../store/ports.ts';
import { maskSecrets } from '../audit/request-summary.ts';

/** Audit records of the match and plan stages, shaped like the executor's (src/audit/). */
function workItemKey(event: Event): string | undefined {
  return event.workItem ? `${event.projectKey ?? ''}:${event.workItem.id}` : undefined;
}

export function matchRecord(event: Event, result: MatchResult, at: number): AuditRecord {
  const base = { at, eventId: event.id, ruleId: result.ruleId, workItem: workItemKey(event) };
  if (result.skipped?.reason === 'depth_cap') {
    return { ...base, kind: 'loop_stopped', detail: { ...result.skipped, causation: event.causation } };
  }
  if (result.skipped?.reason === 'automation_loop') {
    // One record names both sides of the loop: our rule (ruleId) and Feishu's automation rule.
    const automationRule = event.causation?.automation?.ruleId;
    const detail = { ...result.skipped, rule: result.ruleId, automationRule, causation: event.causation };
    return { ...base, kind: 'loop_stopped', detail };
  }
  if (result.error)
    return { ...base, kind: 'rule.error', detail: { error: result.error, conditions: result.conditions } };
  return {
    ...base,
    kind: result.matched ? 'rule.matched' : 'rule.not_matched',
    detail: { conditions: result.conditions, ...(result.skipped && { skipped: result.skipped }) },
  };
}

/** A poison event taken out of processing, with the error that condemned it. */
export function eventDeadLetteredRecord(stored: StoredEvent, error: RunError, at: number): AuditRecord {
  const { event } = stored;
  return {
    at,
    kind: 'event.dead_lettered',
    eventId: event.id,
    workItem: workItemKey(event),
    detail: { type: event.type, source: event.source, claims: stored.claims ?? 1, error },
  };
}

/** The event's summary: what it was, how many rules were candidates, which matched (dashboard list). */
export function processedRecord(
  event: Event,
  results: readonly MatchResult[],
  workItemName: string | undefined,
  at: number,
): AuditRecord {
  return {
    at,
    kind: 'event.processed',
    eventId: event.id,
    workItem: workItemKey(event),
    detail: {
      type: event.type,
      source: event.source,
      occurredAt: event.occurredAt,
      ...(workItemName === undefined ? {} : { workItemName }),
      candidates: results.length,
      matchedRules: results.filter((r) => r.matched).map((r) => r.ruleId),
    },
  };
}

/** The plan as made: each action's rendered params and exact calls, so the story outlives the run. */
export function plannedRecord(run: Run, at: number): AuditRecord {
  return {
    at,
    kind: 'run.planned',
    eventId: run.eventId,
    ruleId: run.ruleId,
    runId: run.id,
    workItem: run.lane,
    detail: {
      mode: run.mode,
      priority: run.priority,
      actions: run.actions.map((a) => ({
        index: a.index,
        type: a.type,
        idempotencyKey: a.idempotencyKey,
        planned: a.calls?.map((c) => `${c.method} ${c.path}`),
        // Masked as attempts are (src/audit/request-summary.ts): params may hold credentials.
        params: maskSecrets(a.params),
        ...(a.calls ? { calls: a.calls.map(({ headers: _headers, ...call }) => maskSecrets(call)) } : {}),
      })),
    },
  };
}

export function planErrorRecord(event: Event, ruleId: string, error: unknown, at: number): AuditRecord {
  const coded = error as { code?: string; message?: string; details?: unknown };
  return {
    at,
    kind: 'rule.error',
    eventId: event.id,
    ruleId,
    workItem: workItemKey(event),
    detail: { stage: 'plan', code: coded.code ?? 'AP_INTERNAL', message: coded.message ?? String(error) },
  };
}

/** A run refused by the breaker; `tripped` marks the refusal that opened it. */
export function breakerRecord(
  event: Event,
  ruleId: string,
  lane: string,
  gate: { tripped?: boolean; pausedUntil?: number },
  at: number,
): AuditRecord {
  return {
    at,
    kind: 'breaker_open',
    eventId: event.id,
    ruleId,
    workItem: lane,
    detail: { pausedUntil: gate.pausedUntil, tripped: gate.tripped === true },
  };
}
