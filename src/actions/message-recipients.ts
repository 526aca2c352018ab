/**
 * Who a `message` goes to, from its rendered `to:`: chat ids (`oc_…`), Feishu Project user
 * keys (digits, also from a role list such as `{{work_item.roles.qa}}`), e-mail addresses, or
 * Lark open / union ids (`ou_…`, `on_…`). Pure: the people behind user keys are looked up by
 * the caller. Duplicates are dropped, so a person named twice gets one message.
 */
import { AutopilotError } from '../errors.ts';
import type { LarkReceiver } from '../people/person.ts';

export interface Recipients {
  /** Reachable as written. */
  direct: LarkReceiver[];
  /** Feishu Project user keys to look up (user/query). */
  userKeys: string[];
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const USER_KEY = /^\d{1,24}$/;

export function recipientError(message: string, details: Record<string, unknown> = {}): AutopilotError {
  return new AutopilotError('AP_LARK_RECIPIENT', `message: ${message}`, { action: 'message', ...details });
}

export function readRecipients(to: unknown): Recipients {
  const entries = (Array.isArray(to) ? to : [to]).flat(2);
  const direct = new Map<string, LarkReceiver>();
  const userKeys = new Set<string>();
  for (const raw of entries) {
    const entry = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw recipientError(
        `'to' entries must be chat ids, user keys or e-mails, got ${JSON.stringify(raw)}`,
        { to },
      );
    }
    const id = entry.trim();
    const receiver = receiverOf(id);
    if (receiver) direct.set(`${receiver.type}:${receiver.id}`, receiver);
    else if (USER_KEY.test(id)) userKeys.add(id);
    else
      throw recipientError(
        `'${id}' is not a chat id (oc_…), a user key, an e-mail, or a Lark open_id (ou_…) / union_id (on_…)`,
        { to },
      );
  }
  if (direct.size === 0 && userKeys.size === 0)
    throw recipientError("'to' names nobody (an empty role or list?)", { to });
  return { direct: [...direct.values()], userKeys: [...userKeys] };
}

function receiverOf(id: string): LarkReceiver | undefined {
  if (id.startsWith('oc_')) return { type: 'chat_id', id };
  if (id.startsWith('ou_')) return { type: 'open_id', id };
  if (id.startsWith('on_')) return { type: 'union_id', id };
  if (EMAIL.test(id)) return { type: 'email', id };
  return undefined;
}
