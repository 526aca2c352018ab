import type { Causation, Event, Origin } from '../events/event.ts';
import type { StateStore } from '../store/ports.ts';
import type { OriginLookup } from './origin-lookup.ts';

/**
 * Feishu Project's webhooks do not carry our causation, so the chain is rebuilt from both ends:
 * when the engine writes to a work item it remembers (root event, depth + 1, the rules that
 * wrote) for that item for a short while. An event on that item inherits it when its operator
 * is the engine's own user, or when its origin is one of Feishu Project's automation rules:
 * then the automation answered our write, and the chain counts one more cross-system cycle.
 * Depth grows along engine → webhook → engine chains and is capped by the matcher; so are the
 * cycles (`loop.maxAutomationCycles`).
 */
export const CAUSATION_TTL_MS = 10 * 60_000;

interface StoredCause extends Causation {
  expiresAt: number;
  /** Rules whose runs were planned for the write (older entries have none). */
  ruleIds?: string[];
}

function key(projectKey: string, workItemId: string): string {
  return `causation:${projectKey}:${workItemId}`;
}

/** Called when runs are planned for `event` on a work item (their writes follow). */
export async function rememberCause(
  state: StateStore,
  event: Event,
  target: { projectKey: string; workItemId: string },
  now: number,
  ruleIds: readonly string[] = [],
): Promise<void> {
  const cause: StoredCause = {
    rootEventId: event.causation?.rootEventId ?? event.id,
    depth: (event.causation?.depth ?? 0) + 1,
    expiresAt: now + CAUSATION_TTL_MS,
    ruleIds: [...ruleIds],
    ...(event.causation?.automationCycles ? { automationCycles: event.causation.automationCycles } : {}),
  };
  await state.set(key(target.projectKey, target.workItemId), cause);
}

export interface CausationOptions {
  engineUserKey?: string;
  /** Looks the origin up in the operation records when the event does not say. */
  lookupOrigin?: OriginLookup;
  /** A candidate rule reads `origin`: it must be known before matching. */
  needsOrigin?: boolean;
  /** The rules that may match this event (an answer to one of their writes is worth a look-up). */
  candidates?: readonly string[];
}

/**
 * The event with its origin (when known or worth looking up) and the causation remembered for
 * its work item (when the engine's own user or a Feishu automation rule made it).
 */
export async function attachCausation(
  state: StateStore,
  stored: Event,
  now: number,
  options: CausationOptions = {},
): Promise<Event> {
  const own = options.engineUserKey !== undefined && stored.operator === options.engineUserKey;
  let event = stored;
  if (!event.origin && own)
    event = { ...event, origin: { kind: 'engine', user: stored.operator, via: 'operator' } };
  const cause = await currentCause(state, event, now);
  const answersUs = cause?.ruleIds?.some((id) => options.candidates?.includes(id)) ?? false;
  if (!event.origin && options.lookupOrigin && (options.needsOrigin || (cause && !own && answersUs))) {
    event = { ...event, origin: await options.lookupOrigin(event) };
  }
  if (event.causation || !cause) return event;
  if (own) return { ...event, causation: inherited(cause) };
  if (event.origin?.kind === 'automation') return { ...event, causation: answered(cause, event.origin) };
  return event;
}

async function currentCause(state: StateStore, event: Event, now: number): Promise<StoredCause | undefined> {
  if (!event.projectKey || !event.workItem) return undefined;
  const cause = await state.get<StoredCause>(key(event.projectKey, event.workItem.id));
  return cause && cause.expiresAt >= now ? cause : undefined;
}

function inherited(cause: StoredCause): Causation {
  return {
    rootEventId: cause.rootEventId,
    depth: cause.depth,
    ...(cause.automationCycles ? { automationCycles: cause.automationCycles } : {}),
  };
}

function answered(cause: StoredCause, origin: Origin): Causation {
  return {
    rootEventId: cause.rootEventId,
    depth: cause.depth,
    automationCycles: (cause.automationCycles ?? 0) + 1,
    automation: { ruleId: origin.id ?? '', answered: cause.ruleIds ?? [] },
  };
}
