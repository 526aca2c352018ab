/**
 * The one record of an approval, kept in the state store under `approval:<run id>:<step path>`:
 * who may decide, the cards it was posted as, and once decided the decision. The approval step
 * writes it `open` before the run parks; the first click from an approver (or the timeout)
 * replaces it with compare-and-set, so exactly one decision is ever taken, however many clicks
 * race or are delivered twice. Pure apart from the store passed in.
 */
import type { StateStore } from '../store/ports.ts';

/** The `action` of an approval card's buttons: not a card action name rules can write. */
export const APPROVAL_ACTION = 'autopilot.approval';

export const APPROVAL_PREFIX = 'approval:';

export type Decision = 'approved' | 'rejected' | 'timed_out';

export interface OpenApproval {
  status: 'open';
  /** User keys allowed to decide. */
  approvers: string[];
  /** Epoch ms of the timeout. */
  until: number;
  /** The Lark messages the card was posted as, updated in place after the decision. */
  messages: string[];
  title: string;
}

export interface ClosedApproval extends Omit<OpenApproval, 'status'> {
  status: 'decided';
  decision: Decision;
  /** The approver's user key and display name (absent when timed out). */
  approver?: string;
  approverName?: string;
  /** Epoch ms of the decision. */
  at: number;
  /** The card.action event that decided it, so a retried processing of it resumes the run again. */
  eventId?: string;
}

export type ApprovalRecord = OpenApproval | ClosedApproval;

/** What an approval card's button carries in its value (event.card.value). */
export interface ApprovalButton {
  run: string;
  step: string;
  decision: 'approved' | 'rejected';
}

export function approvalKey(runId: string, stepPath: string): string {
  return `${APPROVAL_PREFIX}${runId}:${stepPath}`;
}

export async function readApproval(
  state: Pick<StateStore, 'get'>,
  key: string,
): Promise<ApprovalRecord | undefined> {
  return state.get<ApprovalRecord>(key);
}

/**
 * Closes the approval with `closed` unless it was closed first; returns the record that holds
 * now (the caller's when it won, the other decision when it lost, undefined when there is none).
 */
export async function closeApproval(
  state: Pick<StateStore, 'get' | 'compareAndSet'>,
  key: string,
  close: (open: OpenApproval) => ClosedApproval,
): Promise<{ record: ApprovalRecord | undefined; won: boolean }> {
  for (;;) {
    const current = await readApproval(state, key);
    if (current === undefined || current.status !== 'open') return { record: current, won: false };
    const closed = close(current);
    if (await state.compareAndSet(key, current, closed)) return { record: closed, won: true };
  }
}

export function buttonOf(value: Record<string, unknown>): ApprovalButton | undefined {
  const { run, step, decision } = value;
  if (typeof run !== 'string' || typeof step !== 'string') return undefined;
  if (decision !== 'approved' && decision !== 'rejected') return undefined;
  return { run, step, decision };
}

/** "14:05" style time of a decision, in the approval's time zone, with the zone's name. */
export function decisionTime(at: number, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
  return `${text.replace(',', '')} (${timeZone})`;
}
