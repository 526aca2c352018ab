import type { Causation, Event } from '../events/event.ts';
import type { StateStore } from '../store/ports.ts';

/**
 * Feishu Project's webhooks do not carry our causation, so the chain is rebuilt from both ends:
 * when the engine writes to a work item it remembers (root event, depth + 1) for that item for a
 * short while; an event on that item whose operator is the engine's own user inherits it. Depth
 * then grows along engine → webhook → engine chains and is capped by the matcher.
 */
export const CAUSATION_TTL_MS = 10 * 60_000;

interface StoredCause extends Causation {
  expiresAt: number;
}

function key(projectKey: string, workItemId: string): string {
  return `causation:${projectKey}:${workItemId}`;
}

/** Called by the executor after a write on behalf of `event`. */
export async function rememberCause(
  state: StateStore,
  event: Event,
  target: { projectKey: string; workItemId: string },
  now: number,
): Promise<void> {
  const cause: StoredCause = {
    rootEventId: event.causation?.rootEventId ?? event.id,
    depth: (event.causation?.depth ?? 0) + 1,
    expiresAt: now + CAUSATION_TTL_MS,
  };
  await state.set(key(target.projectKey, target.workItemId), cause);
}

/** Attaches the remembered causation to an event the engine's own user caused. */
export async function attachCausation(
  state: StateStore,
  event: Event,
  engineUserKey: string | undefined,
  now: number,
): Promise<Event> {
  if (event.causation || !engineUserKey || event.operator !== engineUserKey) return event;
  if (!event.projectKey || !event.workItem) return event;
  const cause = await state.get<StoredCause>(key(event.projectKey, event.workItem.id));
  if (!cause || cause.expiresAt < now) return event;
  return { ...event, causation: { rootEventId: cause.rootEventId, depth: cause.depth } };
}
