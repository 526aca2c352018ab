import type { Logger } from 'pino';
import type { AuditRecord, AuditStore } from '../store/ports.ts';

/**
 * Loop protection decisions are rare and need a person's attention, so besides the audit and
 * /metrics they go to the log as warnings once recorded.
 */
export function loggingAudit(audit: AuditStore, log: Logger): AuditStore {
  return {
    async record(entries) {
      await audit.record(entries);
      for (const entry of entries) warnIfLoop(log, entry);
    },
    query: (q) => audit.query(q),
    purge: (olderThan) => audit.purge(olderThan),
  };
}

function warnIfLoop(log: Logger, entry: AuditRecord): void {
  const context = { ruleId: entry.ruleId, eventId: entry.eventId, workItem: entry.workItem, ...entry.detail };
  // One warning when the breaker opens, not one per refused run while it stays open.
  if (entry.kind === 'breaker_open' && entry.detail?.tripped === true) {
    log.warn(context, 'breaker open: too many runs of this rule on this work item; paused for one window');
  } else if (entry.kind === 'loop_stopped') {
    log.warn(context, 'loop stopped: causation depth over the rule cap');
  }
}
