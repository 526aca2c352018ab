import type { Logger } from 'pino';
import type { AuditRecord, AuditStore } from '../store/ports.ts';

/**
 * Decisions that need a person's attention go to the log as well, once recorded: a dead letter
 * (one `error` line per dead-lettered run or event) and the loop protection's stops (`warn`).
 */
export function loggingAudit(audit: AuditStore, log: Logger): AuditStore {
  return {
    async record(entries) {
      await audit.record(entries);
      for (const entry of entries) logIfNeeded(log, entry);
    },
    query: (q) => audit.query(q),
    purge: (olderThan) => audit.purge(olderThan),
  };
}

function logIfNeeded(log: Logger, entry: AuditRecord): void {
  const context = { ruleId: entry.ruleId, eventId: entry.eventId, workItem: entry.workItem, ...entry.detail };
  if (entry.kind === 'run.dead_lettered') {
    log.error(
      { ...context, runId: entry.runId, actionIndex: entry.actionIndex },
      'run dead-lettered: it stays in the dead-letter queue until retried or dropped (autopilot dlq)',
    );
  } else if (entry.kind === 'event.dead_lettered') {
    log.error(
      context,
      'event dead-lettered: its processing failed every time; it stays in the dead-letter queue until retried or dropped',
    );
  } else if (entry.kind === 'breaker_open' && entry.detail?.tripped === true) {
    // One warning when the breaker opens, not one per refused run while it stays open.
    log.warn(context, 'breaker open: too many runs of this rule on this work item; paused for one window');
  } else if (entry.kind === 'loop_stopped') {
    log.warn(context, 'loop stopped: causation depth over the rule cap');
  }
}
