/**
 * The approval card: the Approve / Reject card the `approve:` step posts (the built-in card
 * layout with two callback buttons), and the decided card that replaces it in place, the card as
 * sent (names and @mentions already rendered) recoloured, without buttons, with the verdict.
 */
import { builtInCard } from '../actions/lark-card.ts';
import type { ApiCall } from '../plan/run.ts';
import { APPROVAL_ACTION, decisionTime, type ClosedApproval } from './approval-record.ts';

/** What the card shows, kept in the step's progress between the send and the decision. */
export interface ApprovalCard {
  title: string;
  color?: string;
  timeZone: string;
  /** The card's other content, kept so the decided card shows it too. */
  card: Record<string, unknown>;
  /**
   * The card as it was sent (people's names and @mentions rendered, which only the send's
   * look-up knows): the decided card is this one with its buttons taken away.
   */
  posted?: Record<string, unknown>;
}

export function cardParams(state: ApprovalCard, run: string, step: string): Record<string, unknown> {
  const button = (text: string, style: string, decision: string) => ({
    text,
    style,
    action: APPROVAL_ACTION,
    value: { run, step, decision },
  });
  return {
    ...state.card,
    title: state.title,
    color: state.color ?? 'orange',
    buttons: [button('Approve', 'primary', 'approved'), button('Reject', 'danger', 'rejected')],
  };
}

const VERDICT = {
  approved: { word: 'Approved', color: 'green' },
  rejected: { word: 'Rejected', color: 'red' },
  timed_out: { word: 'Timed out', color: 'grey' },
} as const;

/** The card of the first interactive send, as Lark got it. */
export function sentCard(calls: readonly ApiCall[]): Record<string, unknown> | undefined {
  for (const call of calls) {
    const body = call.body as { msg_type?: unknown; content?: unknown } | undefined;
    if (body?.msg_type === 'interactive' && typeof body.content === 'string')
      return JSON.parse(body.content) as Record<string, unknown>;
  }
  return undefined;
}

interface CardElement {
  tag?: string;
  text?: { content?: string };
}

/** The decided card: the same content, no buttons, and a line saying who decided and when. */
export function decidedCard(state: ApprovalCard, record: ClosedApproval): Record<string, unknown> {
  const verdict = VERDICT[record.decision];
  const when = decisionTime(record.at, state.timeZone);
  const line =
    record.decision === 'timed_out'
      ? `**${verdict.word}** at ${when}: nobody decided`
      : `**${verdict.word}** by ${record.approverName ?? record.approver} at ${when}`;
  if (state.posted) return withVerdict(state.posted, verdict.color, line);
  const text = typeof state.card.text === 'string' ? `${state.card.text}\n\n${line}` : line;
  return builtInCard(
    { ...state.card, title: state.title, color: verdict.color, text, open: false },
    undefined,
  );
}

/** The sent card recoloured, without its buttons, the verdict under its text. */
function withVerdict(posted: Record<string, unknown>, color: string, line: string): Record<string, unknown> {
  const elements = ((posted.elements ?? []) as CardElement[]).filter((e) => e.tag !== 'action');
  const first = elements[0];
  const said =
    first?.tag === 'div' && typeof first.text?.content === 'string'
      ? [
          { ...first, text: { ...first.text, content: `${first.text.content}\n\n${line}` } },
          ...elements.slice(1),
        ]
      : [{ tag: 'div', text: { tag: 'lark_md', content: line } }, ...elements];
  const header = (posted.header ?? {}) as Record<string, unknown>;
  return { ...posted, header: { ...header, template: color }, elements: said };
}
