/**
 * When a chat command fails, the person who typed it hears why in the thread: a run that was
 * dead-lettered, or a rule that could not be evaluated or planned (an unknown work item id, a
 * template with a missing value). Implemented as an AuditStore decorator: the executor and the
 * pipeline record each of these decisions through the audit store exactly when it becomes
 * final, so no hook inside either is needed.
 */
import type { AuditRecord, AuditStore, EventLog } from '../store/ports.ts';
import type { ChatReplier } from './chat-replier.ts';

const FAILURES = new Set<AuditRecord['kind']>(['run.dead_lettered', 'rule.error']);

export function replyOnChatDeadLetters(
  audit: AuditStore,
  events: EventLog,
  replier: ChatReplier,
): AuditStore {
  return {
    async record(entries) {
      await audit.record(entries);
      for (const entry of entries) {
        if (FAILURES.has(entry.kind) && entry.eventId?.startsWith('chat:')) await replyFailure(entry);
      }
    },
    query: (q) => audit.query(q),
    purge: (olderThan) => audit.purge(olderThan),
  };

  async function replyFailure(entry: AuditRecord): Promise<void> {
    const stored = await events.get(entry.eventId as string);
    const command = stored?.event.command;
    if (stored?.event.source !== 'chat' || command === undefined) return;
    // A dead letter carries its RunError under `error`; a rule error has code and message inline.
    const error = (entry.detail?.error ?? entry.detail ?? {}) as {
      code?: string;
      message?: string;
      errMsg?: string;
    };
    const why = error.errMsg ?? error.message ?? 'unknown error';
    const text = `"${command.name}" failed (rule ${entry.ruleId ?? '?'}): ${why}${error.code ? ` [${error.code}]` : ''}`;
    replier.send(command.messageId, text, 'failed', entry.runId ?? entry.ruleId ?? '');
  }
}
