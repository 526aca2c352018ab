/**
 * The engine's processing stage: each stored event has its Lark people resolved, then either
 * decides an approval (a click on an approval card) or is matched, planned and enqueued
 * (src/pipeline.ts); the runs it produced wake the executor.
 */
import type { Logger } from 'pino';
import {
  handleApprovalClick,
  isApprovalClick,
  type ApprovalClickDeps,
} from '../approvals/approval-clicks.ts';
import type { Config } from '../config/config.ts';
import { createOriginLookup } from '../loop/origin-lookup.ts';
import type { RunBreaker } from '../loop/run-breaker.ts';
import type { Tracing } from '../ops/tracing.ts';
import type { PeopleDirectory } from '../people/people-directory.ts';
import { resolveLarkPeople } from '../people/resolve-lark-people.ts';
import { processEvent, type PipelineDeps } from '../pipeline.ts';
import type { AuditStore, Stores } from '../store/ports.ts';
import type { ChatReplier } from '../outbound/chat-replier.ts';
import type { EngineIdentity } from '../records/record-origin.ts';
import type { ReadData } from './work-item-loader.ts';
import { createEventProcessor, type EventProcessor } from './event-processor.ts';
import { newLeaseOwner } from './lease-owners.ts';
import { eventDeadLetteredRecord } from './match-records.ts';

export interface EngineProcessingOptions {
  config: Readonly<Config>;
  stores: Stores;
  audit: AuditStore;
  read: ReadData;
  people: PeopleDirectory;
  tracing: Pick<Tracing, 'matched'>;
  /** The rule set matching uses (the drift watch's), the work item loader and the breaker. */
  rules: PipelineDeps['rules'];
  workItems: PipelineDeps['workItems'];
  breaker: RunBreaker;
  /** The engine's own Feishu identity: its changes are not matched again. */
  engine: EngineIdentity;
  replier?: ChatReplier;
  /** New runs were enqueued, or a decided approval resumed one. */
  onRuns: () => void;
  log: Logger;
  now: () => number;
}

export function createEngineProcessing(options: EngineProcessingOptions): EventProcessor {
  const { config, stores, audit, read, people, now } = options;
  const pipeline: PipelineDeps = {
    rules: options.rules,
    events: stores.events,
    runs: stores.runs,
    audit,
    state: stores.state,
    workItems: options.workItems,
    breaker: options.breaker,
    engineUserKey: options.engine.userKey,
    maxDepth: config.loop.maxDepth,
    maxAutomationCycles: config.loop.maxAutomationCycles,
    lookupOrigin: createOriginLookup(read, options.engine),
    now,
  };
  const approvals: ApprovalClickDeps = {
    state: stores.state,
    runs: stores.runs,
    audit,
    events: stores.events,
    people,
    read,
    ...(options.replier ? { replier: options.replier } : {}),
    onResumed: options.onRuns,
    now,
  };
  return createEventProcessor({
    events: stores.events,
    process: (stored) =>
      options.tracing.matched(stored.event, async () => {
        const event = await resolveLarkPeople(stored.event, people, read);
        if (!isApprovalClick(event)) return processEvent(event, pipeline);
        await handleApprovalClick(event, approvals);
        return [];
      }),
    now,
    onRuns: options.onRuns,
    leaseMs: config.events.leaseMs,
    owner: newLeaseOwner('processor'),
    maxClaims: config.events.maxClaims,
    onDeadLettered: (stored, error) => audit.record([eventDeadLetteredRecord(stored, error, now())]),
    onError: (error, eventId) =>
      options.log.warn({ err: error, eventId }, 'event not processed; it will be retried'),
  });
}
