/**
 * A Feishu Project person as the engine needs one for Lark: the user key, a display name, and
 * the two identities Lark can reach them by — `out_id` (the Feishu/Lark union id) and e-mail —
 * both answered by Feishu Project's `user/query`. Pure.
 */
export interface Person {
  userKey: string;
  name: string;
  /** Lark union_id (`on_…`), when the person has a Lark account linked. */
  outId?: string;
  email?: string;
}

/** How a message reaches a person: the `receive_id_type` and `receive_id` of Lark's send call. */
export interface LarkReceiver {
  type: 'union_id' | 'email' | 'open_id' | 'chat_id';
  id: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** One record of a `user/query` answer, or undefined when it has no user key. */
export function personFromRecord(raw: unknown): Person | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const userKey = text(r.user_key) ?? (typeof r.user_key === 'number' ? String(r.user_key) : undefined);
  if (!userKey) return undefined;
  const names = (typeof r.name === 'object' && r.name !== null ? r.name : {}) as Record<string, unknown>;
  const name =
    text(names.default) ??
    text(r.name_cn) ??
    text(names.zh_cn) ??
    text(r.name_en) ??
    text(r.username) ??
    userKey;
  const person: Person = { userKey, name };
  const outId = text(r.out_id);
  const email = text(r.email);
  if (outId) person.outId = outId;
  if (email) person.email = email;
  return person;
}

/** The union id when Feishu Project knows it (it survives e-mail changes), else the e-mail. */
export function larkReceiverOf(person: Person): LarkReceiver | undefined {
  if (person.outId) return { type: 'union_id', id: person.outId };
  if (person.email) return { type: 'email', id: person.email };
  return undefined;
}
