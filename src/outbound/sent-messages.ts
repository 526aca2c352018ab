/**
 * Lark messages this process saw sent, by their `uuid`: a message action to many people that
 * is retried (one answer lost) sends only to those whose send was not answered yet, instead of
 * all of them again. Lark's own `uuid` check would refuse the repeats anyway; this spares the
 * calls, and keeps a long fan-out from using up its retries on sends that already went out.
 * In memory and bounded: after a restart Lark's one-hour `uuid` window is what protects.
 */
import type { ApiCaller } from '../openapi/types.ts';

export interface SentMessages {
  has(uuid: string): boolean;
  record(uuid: string): void;
}

export function createSentMessages(max = 50_000): SentMessages {
  const seen = new Set<string>();
  return {
    has: (uuid) => seen.has(uuid),
    record(uuid) {
      seen.delete(uuid);
      seen.add(uuid);
      // A Set iterates in insertion order: the first entry is the oldest.
      if (seen.size > max) seen.delete(seen.values().next().value as string);
    },
  };
}

/** The caller, remembering each Lark send that was answered with success. */
export function rememberSends(caller: ApiCaller, sent: SentMessages): ApiCaller {
  return {
    async call(call, options) {
      const outcome = await caller.call(call, options);
      const uuid = (call.body as { uuid?: unknown } | undefined)?.uuid;
      if (call.operation === 'lark.message.create' && typeof uuid === 'string' && outcome.class === 'ok')
        sent.record(uuid);
      return outcome;
    },
    dropToken: () => caller.dropToken(),
    tokenKey: () => caller.tokenKey(),
  };
}
