/**
 * `POST /api/rules/:id/run` with `{"work_item": "<project>/<type>/<id>"}`: a manual run of a rule
 * with `on.manual`. Like a webhook, the request is answered only once its `manual.run` event is
 * durably in the event log (202, with the event id and the run id it will have); the run itself
 * happens in the pipeline, which reads the work item live and records every decision.
 */
import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import type { Event } from '../events/event.ts';
import { manualEvent, manualRule, readManualRunRequest } from '../ingest/manual/manual-run.ts';
import { wrapStoreError } from '../ingest/http/http-errors.ts';
import { runId } from '../plan/idempotency.ts';
import type { Rule } from '../rules/rule.ts';
import type { EventLog } from '../store/ports.ts';

export interface ManualRunDeps {
  rules: () => ReadonlyMap<string, Rule>;
  events: Pick<EventLog, 'append'>;
  now: () => number;
  /** Wakes the event processor (and counts the event), as for every stored event. */
  onEventStored?: (event: Event, inserted: boolean) => void;
  /** Request ids where the caller gave none; random by default. */
  newId?: () => string;
}

export function manualRunRoute(deps: ManualRunDeps): Router {
  const router = Router();
  router.post('/api/rules/:id/run', express.json({ limit: '16kb' }), async (req, res) => {
    const request = readManualRunRequest(req.body);
    const rule = manualRule(deps.rules(), String(req.params.id), request.workItem);
    const now = deps.now();
    const event = manualEvent(rule, request, { now, uuid: (deps.newId ?? randomUUID)() });
    let inserted: boolean;
    try {
      ({ inserted } = await deps.events.append(event, now));
    } catch (error) {
      throw wrapStoreError(error);
    }
    deps.onEventStored?.(event, inserted);
    res.status(inserted ? 202 : 200).json({
      ok: true,
      eventId: event.id,
      ruleId: rule.id,
      runId: runId(event.id, rule.id),
      workItem: (event.payload as { work_item: string }).work_item,
      duplicate: !inserted,
    });
  });
  return router;
}
