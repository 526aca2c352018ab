import { resolveDeferred } from '../actions/catalogue.ts';
import { AutopilotError } from '../errors.ts';
import type { Event } from '../events/event.ts';
import type { ActionResolver } from '../executor/ports.ts';
import type { PeopleDirectory } from '../people/people-directory.ts';
import type { Run } from '../plan/run.ts';
import type { EventLog } from '../store/ports.ts';
import { referencesRoot, renderParams } from '../templates/render.ts';

export interface ResolverExtras {
  /** Who user keys are, for messages to people and @mentions. */
  people?: PeopleDirectory;
  /** Feishu Project's web address, for links to work items in cards. */
  projectUrl?: string;
  /** Lark sends already answered (a retried message skips those recipients). */
  sent?: { has(uuid: string): boolean };
}

/**
 * The executor's resolver. Params are rendered once (docs/design/run-program.md §2): an action
 * rendered at planning keeps its calls, or the catalogue performs the reads it needs (a
 * transition id, the current owners) through the executor's limited `read` on its rendered
 * params; an action rendered at execution comes with its params rendered from the rule's
 * template source. Nothing rendered is ever rendered again: values from events are data.
 */
export function createActionResolver(events: EventLog, extras: ResolverExtras = {}): ActionResolver {
  return async (action, { run, steps, read, rendered }) => {
    const context = (event: Event, workItem?: NonNullable<typeof rendered>['workItem']) => ({
      event,
      ...(workItem ? { workItem } : {}),
      idempotencyKey: action.idempotencyKey,
      ...extras,
    });
    if (rendered) {
      const params = rendered.params;
      return resolveDeferred({ type: action.type, params }, context(rendered.event, rendered.workItem), read);
    }
    if (action.render === 'plan') {
      if (action.calls) return action.calls;
      return resolveDeferred(action, context(await eventOf(events, run)), read);
    }
    // Runs planned before render flags: their `steps.*` params were left unrendered at planning.
    if (action.calls && !referencesRoot(action.params, ['steps'])) return action.calls;
    const params = renderParams(action.params, { steps });
    return resolveDeferred({ type: action.type, params }, context(await eventOf(events, run)), read);
  };
}

async function eventOf(events: EventLog, run: Run): Promise<Event> {
  if (run.event) return run.event;
  const stored = await events.get(run.eventId);
  if (stored) return stored.event;
  throw new AutopilotError(
    'AP_INTERNAL',
    `event ${run.eventId} of run ${run.id} is no longer in the event log`,
  );
}
