/**
 * A click on an approval card's Approve or Reject, processed from the event log like any stored
 * event (so Lark's redelivery of the same click is deduped there): the clicker must be on the
 * approval's allow-list; the first approver's click closes the approval record with
 * compare-and-set and resumes the parked run, which updates the cards and goes on. Anyone else,
 * or a click after the decision, gets a polite reply in the card's thread and changes nothing.
 * Processing the same click again after a crash resumes the run again (a no-op once it woke).
 */
import type { ErrorCode } from '../errors.ts';
import type { Event } from '../events/event.ts';
import type { ChatReplier } from '../outbound/chat-replier.ts';
import type { PeopleDirectory, PeopleRead } from '../people/people-directory.ts';
import type { AuditStore, EventLog, RunQueue, StateStore } from '../store/ports.ts';
import {
  APPROVAL_ACTION,
  approvalKey,
  buttonOf,
  closeApproval,
  readApproval,
  type ApprovalButton,
  type ApprovalRecord,
} from './approval-record.ts';

export interface ApprovalClickDeps {
  state: Pick<StateStore, 'get' | 'compareAndSet'>;
  runs: Pick<RunQueue, 'resume'>;
  audit: Pick<AuditStore, 'record'>;
  events: Pick<EventLog, 'markProcessed'>;
  people: PeopleDirectory;
  read: PeopleRead;
  /** Sends the polite replies; without a Lark app they are only in the audit. */
  replier?: ChatReplier;
  /** A run was resumed: wake the executor. */
  onResumed: () => void;
  now: () => number;
}

export function isApprovalClick(event: Event): boolean {
  return event.type === 'card.action' && event.card?.action === APPROVAL_ACTION;
}

type Outcome =
  { kind: 'decided'; record: ApprovalRecord } | { kind: 'refused'; code: ErrorCode; reply: string };

export async function handleApprovalClick(event: Event, deps: ApprovalClickDeps): Promise<void> {
  const card = event.card;
  const button = card ? buttonOf(card.value) : undefined;
  let outcome: Outcome;
  if (!card || !button) {
    outcome = {
      kind: 'refused',
      code: 'AP_APPROVAL_CLOSED',
      reply: 'This approval card is not one the engine knows.',
    };
  } else {
    outcome = await decide(event, button, deps);
    if (outcome.kind === 'refused') deps.replier?.send(card.message, outcome.reply, 'denied', event.id);
  }
  const now = deps.now();
  await deps.audit.record([
    {
      at: now,
      kind: 'approval.clicked',
      eventId: event.id,
      ...(button ? { runId: button.run } : {}),
      detail: {
        ...(button ? { step: button.step, decision: button.decision } : {}),
        clicker: card?.operator.user_key ?? card?.operator.open_id,
        outcome: outcome.kind,
        ...(outcome.kind === 'refused' ? { code: outcome.code, reply: outcome.reply } : {}),
      },
    },
  ]);
  await deps.events.markProcessed(event.id, now);
}

async function decide(event: Event, button: ApprovalButton, deps: ApprovalClickDeps): Promise<Outcome> {
  const key = approvalKey(button.run, button.step);
  const clicker = event.card?.operator.user_key;
  const current = await readApproval(deps.state, key);
  if (current === undefined) {
    return { kind: 'refused', code: 'AP_APPROVAL_CLOSED', reply: 'This approval is no longer open.' };
  }
  if (current.status === 'open' && (clicker === undefined || !current.approvers.includes(clicker))) {
    return {
      kind: 'refused',
      code: 'AP_APPROVAL_NOT_ALLOWED',
      reply: `Sorry, only ${await namesOf(current.approvers, deps)} can decide "${current.title}"; your click changed nothing.`,
    };
  }
  const name = clicker === undefined ? undefined : await nameOf(clicker, deps);
  const { record, won } = await closeApproval(deps.state, key, (open) => ({
    ...open,
    status: 'decided',
    decision: button.decision,
    approver: clicker as string,
    ...(name ? { approverName: name } : {}),
    at: deps.now(),
    eventId: event.id,
  }));
  const closed = won ? record : current.status === 'decided' ? current : record;
  if (closed?.status === 'decided' && (won || closed.eventId === event.id)) {
    // Resumed once: a run that already woke (or has not parked yet) answers false.
    if (await deps.runs.resume(button.run, { data: { decision: closed.decision } }, deps.now()))
      deps.onResumed();
    return { kind: 'decided', record: closed };
  }
  return { kind: 'refused', code: 'AP_APPROVAL_CLOSED', reply: closedReply(closed) };
}

function closedReply(record: ApprovalRecord | undefined): string {
  if (record?.status !== 'decided') return 'This approval is no longer open.';
  if (record.decision === 'timed_out') return `"${record.title}" timed out before anyone decided.`;
  const who = record.approverName ?? record.approver ?? 'someone';
  return `"${record.title}" was already ${record.decision} by ${who}; your click changed nothing.`;
}

async function nameOf(userKey: string, deps: ApprovalClickDeps): Promise<string | undefined> {
  return (await deps.people.find('user_keys', [userKey], deps.read)).get(userKey)?.name;
}

async function namesOf(userKeys: string[], deps: ApprovalClickDeps): Promise<string> {
  const found = await deps.people.find('user_keys', userKeys, deps.read);
  return userKeys.map((key) => found.get(key)?.name ?? key).join(', ');
}
